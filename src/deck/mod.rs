//! Decks: the content format, its loader and checker, and the drill items cards expand into.

pub mod bundled;
pub mod calc;
pub mod diagnostic;
pub mod files;
pub mod item;
pub mod library;
pub mod model;
pub mod parse;
pub mod schema;

pub use diagnostic::Diagnostic;
pub use item::DrillItem;
pub use library::{Library, Origin, Scope};
pub use model::{Card, CardBody, Deck};
pub use parse::parse_deck;
