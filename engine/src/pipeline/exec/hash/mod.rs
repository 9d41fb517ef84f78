//! The hash tables operators keep rows and keys in: the GROUP BY group tables
//! (`key_groups`, `text_groups`), the key set of DISTINCT and set operations (`key_set`)
//! and the row set of compounds (`row_set`). They use nothing else of exec/.

pub(super) mod key_groups;
pub(super) mod key_set;
pub(super) mod row_set;
pub(super) mod text_groups;
