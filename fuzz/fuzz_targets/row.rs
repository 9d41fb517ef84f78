//! Fuzz target: the storage row codec's decoder on untrusted bytes. The first input byte picks
//! a column type list; the decoder must return a value list or an error, never panic or
//! allocate past the bytes it was given. A decoded row must re-encode and decode to itself.
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
    if let Ok(values) = row::decode(&types, bytes) {
        let encoded = row::encode(&types, &values).expect("decoded rows re-encode");
        let again = row::decode(&types, &encoded).expect("re-encoded rows decode");
        assert_eq!(format!("{values:?}"), format!("{again:?}"));
    }
});
