//! EmberDB test support: the sqllogictest conformance runner (`slt`), used by the
//! `ember-slt` binary and by the integration tests.

pub mod slt;
