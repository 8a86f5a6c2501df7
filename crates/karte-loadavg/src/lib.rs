//! Load average simulation and analysis (in progress).
