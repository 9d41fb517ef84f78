//! The integration test binary: one `mod` per concern, linked once.

mod affinity;
mod api;
mod api_guard;
mod bad_input;
mod concurrency;
mod constraints;
mod crashtest;
mod cte;
mod differential;
mod dml_clauses;
mod durability;
mod durability_damage;
mod expressions;
mod gc;
mod indexes;
mod isolation;
mod json;
mod limits;
mod limits_disk;
mod memory;
mod prepared;
mod slt;
mod statement_timeout;
mod tidy;
mod tidy_layers;
mod write_path;
