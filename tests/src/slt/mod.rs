//! The sqllogictest conformance runner: `parser` reads the format, `render` prints values by
//! type letter and hashes them, `runner` drives records against a fresh database per file.

pub mod parser;
pub mod render;
pub mod runner;

pub use runner::{collect_files, run_file, run_text, Failure, FileReport, ENGINE_NAME};
