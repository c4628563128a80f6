//! Load scenarios (filled in by the scenarios issue).
