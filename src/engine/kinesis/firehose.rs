//! Firehose model.
