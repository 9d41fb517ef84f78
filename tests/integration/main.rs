//! The integration test binary: one `mod` per concern, linked once.

mod api;
mod bad_input;
mod concurrency;
mod crashtest;
mod durability;
mod gc;
mod isolation;
mod slt;
mod tidy;
