//! Indexes: key -> row ids. The primary-key index (`primary.rs`, open addressing,
//! one row per key) maps each key to the one slot that holds every version of that key;
//! secondary indexes (`secondary.rs`) may hold entries whose slot no longer has a visible
//! version with that key, so callers always recheck the row they fetch.

mod entry_audit;
mod entry_key;
mod entry_sort;
mod hash;
mod key;
mod key_block;
mod key_bytes;
mod key_derivation;
mod key_match;
mod order_key;
mod order_key_decode;
mod ordered;
mod ordered_tree;
mod primary;
mod secondary;
mod thin_bytes;

pub(crate) use entry_sort::sort_entry_keys;
pub use hash::{HashIndex, IndexWriter, ENTRY_BYTES};
pub use key::{fx_add, fx_add_word, fx_finish, fx_hash_bytes, IndexKey};
pub use key_bytes::KeyBytes;
pub use key_derivation::KeyDerivation;
pub use order_key::{
    encode_ordered_key, encode_ordered_part, encode_ordered_text_prefix, ordered_entry_key,
    prefix_successor, KeyCollation,
};
pub(crate) use order_key_decode::{
    ordered_part_is_null, read_ordered_part, skip_ordered_part, KeyPartKind,
};
pub(crate) use ordered::push_entry_key;
pub use ordered::{OrderedEntries, ORDERED_ENTRY_OVERHEAD};
pub use ordered_tree::BatchEnd;
pub use primary::{PrimaryIndex, PRIMARY_ENTRY_BYTES};
pub use secondary::SecondaryIndex;
