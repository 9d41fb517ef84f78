//! Sorting with a bound: the top-k operator (`top_k`), its sort keys read in place
//! (`top_k_key`), the bound its threshold puts on the rows still to come (`top_k_bound`) and
//! the top-k split across threads (`parallel_top_k`), and the threshold it shares with a
//! join below it (`top_threshold`). The full sort is `query::SortOperator`.

pub(super) mod parallel_top_k;
#[cfg(test)]
mod parallel_top_k_tests;
pub(super) mod top_k;
pub(super) mod top_k_bound;
pub(super) mod top_k_key;
#[cfg(test)]
mod top_k_tests;
pub(super) mod top_threshold;
