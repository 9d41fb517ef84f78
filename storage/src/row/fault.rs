//! Why a row payload could not be read: what a failed read records in its reader
//! (`reader.rs`), made an `InvalidData` error only when the decode gives up.

use crate::error::StorageError;

use super::invalid;

/// Why a payload could not be read.
#[derive(Debug, Clone, Copy)]
pub(super) enum Fault {
    Truncated,
    OverlongVarint,
    Length { len: u64, remaining: u64 },
    NotUtf8,
    Boolean(u8),
    Tag(u8),
}

impl Fault {
    #[cold]
    pub(super) fn into_error(self) -> StorageError {
        match self {
            Fault::Truncated => invalid("row payload truncated"),
            Fault::OverlongVarint => invalid("overlong varint in row payload"),
            Fault::Length { len, remaining } => invalid(format!(
                "length {len} passes the {remaining} bytes left in row"
            )),
            Fault::NotUtf8 => invalid("text value in row payload is not UTF-8"),
            Fault::Boolean(byte) => invalid(format!("invalid boolean byte {byte}")),
            Fault::Tag(tag) => invalid(format!("unknown value tag {tag} in row payload")),
        }
    }
}
