//! The sqllogictest conformance runner: `parser` reads the format, `render` prints values by
//! type letter and hashes them, `runner` drives records against a fresh database per file.

pub mod engine;
pub mod parser;
pub mod render;
pub mod runner;

pub use engine::Backend;
pub use runner::{
    collect_files, run_file, run_file_on, run_text, run_text_on, Failure, FileReport,
};
