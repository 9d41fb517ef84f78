//! The integration test binary: one `mod` per concern, linked once.

mod affinity;
mod api;
mod api_guard;
mod bad_input;
mod concurrency;
mod crashtest;
mod cte;
mod differential;
mod durability;
mod durability_damage;
mod expressions;
mod gc;
mod indexes;
mod isolation;
mod limits;
mod limits_disk;
mod memory;
mod prepared;
mod slt;
mod statement_timeout;
mod tidy;
mod tidy_layers;
mod window;
mod write_path;
