//! `ToValue` / `FromValue` for `uuid::Uuid` (cargo feature `uuid`): stored as a 16-byte BLOB
//! (as rusqlite stores it); read from such a BLOB or from text in any form `Uuid::parse_str`
//! takes (hyphenated, simple, braced, URN).

use ember_storage::Value;
use uuid::Uuid;

use super::{write_blob, wrong_type, FromValue, ToValue};
use crate::error::Result;

/// ```
/// use ember::{FromValue, ToValue, Value};
/// let id = uuid::Uuid::from_u128(0x1234);
/// assert!(matches!(id.to_value(), Value::Blob(ref bytes) if bytes.len() == 16));
/// assert_eq!(uuid::Uuid::from_value(&id.to_value()).unwrap(), id);
/// ```
impl ToValue for Uuid {
    fn to_value(&self) -> Value {
        Value::Blob(self.as_bytes().to_vec())
    }

    fn write_value(&self, slot: &mut Value) {
        write_blob(self.as_bytes(), slot);
    }
}

impl FromValue for Uuid {
    fn from_value(value: &Value) -> Result<Self> {
        match value {
            Value::Blob(bytes) => Uuid::from_slice(bytes).map_err(|_| {
                crate::err!(
                    Type,
                    "cannot read a {}-byte BLOB into Uuid: it takes 16 bytes",
                    bytes.len()
                )
            }),
            Value::Text(text) => Uuid::parse_str(text)
                .map_err(|error| crate::err!(Type, "cannot read text '{text}' into Uuid: {error}")),
            other => Err(wrong_type(other, "Uuid")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_and_text_read_back_and_wrong_sizes_fail() {
        let id = Uuid::from_u128(0x67e5_5044_10b1_426f_9247_bb68_0e5f_e0c8);
        let text = Value::Text("67e55044-10b1-426f-9247-bb680e5fe0c8".into());
        assert_eq!(Uuid::from_value(&text).unwrap(), id);
        let mut slot = Value::Blob(Vec::with_capacity(16));
        id.write_value(&mut slot);
        assert_eq!(Uuid::from_value(&slot).unwrap(), id);
        let error = Uuid::from_value(&Value::Blob(vec![1, 2, 3])).unwrap_err();
        assert!(error.to_string().contains("3-byte BLOB"), "{error}");
        assert!(Uuid::from_value(&Value::Integer(1)).is_err());
    }
}
