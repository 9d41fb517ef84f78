//! The integration test binary: one `mod` per concern, linked once.

mod api;
mod api_guard;
mod bad_input;
mod prepared;
mod tidy;
