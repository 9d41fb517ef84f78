//! The integration test binary: one `mod` per concern, linked once.

mod api;
mod api_guard;
mod bad_input;
mod concurrency;
mod crashtest;
mod durability;
mod expressions;
mod gc;
mod indexes;
mod isolation;
mod memory;
mod prepared;
mod slt;
mod tidy;
