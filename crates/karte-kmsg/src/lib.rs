//! Kernel log events (in progress).
