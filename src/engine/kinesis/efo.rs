//! Enhanced fan-out consumers (placeholder filled in below).

#[derive(Clone, Debug)]
pub struct Consumer {}
