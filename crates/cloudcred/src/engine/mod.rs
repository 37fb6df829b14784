//! The refresh engine.
