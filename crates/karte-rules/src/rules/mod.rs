//! One module per rule.
