//! The terminal user interface: an Elm-style state machine ([`app`]), a pure view ([`view`]),
//! key bindings as data ([`keys`]) and the shell that owns the terminal ([`terminal`]).

pub mod app;
pub mod finder;
pub mod keys;
pub mod lab_view;
pub mod list_filter;
mod palette;
pub mod scroll;
pub mod stats_view;
pub mod terminal;
pub mod textarea;
pub mod theme;
pub mod too_small;
pub mod view;

pub use app::{App, Effect, Msg, Screen};
