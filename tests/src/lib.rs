//! EmberDB test support: the sqllogictest conformance runner (`slt`, used by `ember-slt`),
//! the crash-recovery harness (`crash`, used by `ember-crashtest`) and the differential
//! tester against SQLite (`difftest`, used by `ember-difftest`); the integration tests drive
//! all three.

pub mod crash;
pub mod difftest;
pub mod slt;
