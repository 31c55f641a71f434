//! Decks compiled into the binary by `build.rs`.

include!(concat!(env!("OUT_DIR"), "/bundled_decks.rs"));
