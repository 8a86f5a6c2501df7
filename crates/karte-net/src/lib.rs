//! Network checks (in progress).
