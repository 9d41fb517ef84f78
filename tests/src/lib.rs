//! EmberDB test support: the crash-recovery harness (`crash`) that the `ember-crashtest`
//! binary and the integration tests drive.

pub mod crash;
