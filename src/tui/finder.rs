//! The fuzzy finder over every card (work in progress).
