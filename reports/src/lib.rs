//! Result model and renderers (filled in by the reports issue).
