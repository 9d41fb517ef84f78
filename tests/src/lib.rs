//! EmberDB test support: the sqllogictest conformance runner (`slt`, used by `ember-slt`)
//! and the crash-recovery harness (`crash`, used by `ember-crashtest`); the integration
//! tests drive both.

pub mod crash;
pub mod slt;
