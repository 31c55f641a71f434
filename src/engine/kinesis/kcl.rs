//! KCL model.
