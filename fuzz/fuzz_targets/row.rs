//! Fuzz target: the storage row codec's decoder on untrusted bytes. The first input byte picks
//! a column type list; the decoder must return a value list or an error, never panic or
//! allocate past the bytes it was given. A decoded row must re-encode and decode to itself,
//! and a scan's `RowDecoder` (some columns skipped, the buffer reused) must agree with it.
#![no_main]

use ember_storage::{row, DataType};
use libfuzzer_sys::fuzz_target;

const TYPES: [DataType; 7] = [
    DataType::Integer,
    DataType::Real,
    DataType::Text,
    DataType::Blob,
    DataType::Boolean,
    DataType::Any,
    DataType::Integer,
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let count = usize::from(selector % 12);
    let types: Vec<DataType> = (0..count)
        .map(|i| TYPES[(usize::from(selector >> 4) + i * 3) % TYPES.len()])
        .collect();
    let full = row::decode(&types, bytes);
    if let Ok(values) = &full {
        let encoded = row::encode(&types, values).expect("decoded rows re-encode");
        let again = row::decode(&types, &encoded).expect("re-encoded rows decode");
        assert_eq!(format!("{values:?}"), format!("{again:?}"));
    }
    // The selector's low bits pick the decoded columns; the buffer starts stale.
    let wanted: Vec<bool> = (0..count).map(|i| selector & (1 << (i % 8)) != 0).collect();
    let decoder = row::RowDecoder::new(&types, Some(&wanted));
    let mut buffer = vec![ember_storage::Value::Text("stale".into()); count];
    let projected = decoder.decode_into(bytes, &mut buffer);
    if let Ok(values) = &full {
        // Skipping checks less (no UTF-8, no boolean byte), never more.
        projected.expect("a row that decodes whole decodes projected");
        for (column, value) in buffer.iter().enumerate() {
            if wanted[column] {
                assert_eq!(format!("{value:?}"), format!("{:?}", values[column]));
            } else {
                assert!(value.is_null());
            }
        }
    }
});
