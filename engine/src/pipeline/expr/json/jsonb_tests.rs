//! Tests of the JSONB codec: bytes as SQLite writes them, round trips through every header
//! size, SQLite's rendering of the JSON5 element types, and hostile blobs (every prefix,
//! every single-byte change, lying headers) that must give errors, never panics.

use super::*;
use crate::pipeline::expr::json::parse::parse;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02X}")).collect()
}

fn encoded(text: &str) -> Vec<u8> {
    encode(&parse(text).unwrap()).unwrap()
}

fn rendered(blob: &[u8]) -> String {
    decode(blob).unwrap().to_text().unwrap()
}

/// Expected bytes from the bundled SQLite: `SELECT hex(jsonb('...'))`.
#[test]
fn encodes_as_sqlite_does() {
    let cases = [
        (
            r#"{"a":[1,2.5,"x","y\"z",true,null]}"#,
            "CC131761CB0F133135322E35177848795C227A0100",
        ),
        (
            r#"["x\"y","x",1.5,1.0e+300,2]"#,
            "CB1648785C2279177835312E3585312E30652B3330301332",
        ),
        ("null", "00"),
        ("[]", "0B"),
        ("{}", "0C"),
        ("-0", "232D30"),
        ("false", "02"),
    ];
    for (text, expected) in cases {
        assert_eq!(hex(&encoded(text)), expected, "{text}");
    }
    assert_eq!(hex(&encode(&Json::Raw("x\"y".into())).unwrap()), "3A782279");
}

#[test]
fn every_header_size_round_trips() {
    for (length, header_length) in [
        (0, 1),
        (11, 1),
        (12, 2),
        (255, 2),
        (256, 3),
        (65535, 3),
        (65536, 5),
    ] {
        let json = Json::String("a".repeat(length));
        let blob = encode(&json).unwrap();
        assert_eq!(blob.len(), header_length + length, "{length}");
        assert_eq!(decode(&blob).unwrap(), json);
        assert!(is_jsonb(&blob));
    }
    // The nine-byte header SQLite reads (and never writes below 2^32 bytes).
    let mut blob = vec![0xf7, 0, 0, 0, 0, 0, 0, 0, 3];
    blob.extend_from_slice(b"abc");
    assert_eq!(rendered(&blob), "\"abc\"");
    blob[1] = 1;
    assert!(decode(&blob).is_err());
    // A wider header than needed is still read.
    assert_eq!(rendered(&[0xd3, 0, 2, b'4', b'2']), "42");
    assert_eq!(rendered(&[0xe3, 0, 0, 0, 1, b'7']), "7");
}

#[test]
fn documents_round_trip() {
    let texts = [
        r#"{"a":{"b":[1,-2.5e-3,"\u00e9\n",{}]},"a":[[],[[null]]],"":"x"}"#,
        r#"[true,false,null,0,-0,1E+2,"\\","'"]"#,
        &format!("[{}]", "[1,\"abcdefghijklmnop\"],".repeat(300) + "0"),
    ];
    for text in texts {
        let json = parse(text).unwrap();
        let blob = encode(&json).unwrap();
        assert_eq!(fault_offset(&blob), 0, "{text}");
        assert_eq!(decode(&blob).unwrap(), json, "{text}");
        assert_eq!(rendered(&blob), json.to_text().unwrap());
    }
}

#[test]
fn json5_types_render_as_sqlite_renders_them() {
    let node = |kind: u8, payload: &str| {
        let mut blob = Vec::new();
        append_node(&mut blob, kind, payload.as_bytes());
        blob
    };
    assert_eq!(rendered(&node(INT5, "0x10")), "16");
    assert_eq!(rendered(&node(INT5, "-0XfF")), "-255");
    assert_eq!(rendered(&node(INT5, "0x10000000000000000")), "9.0e999");
    assert_eq!(rendered(&node(FLOAT5, ".5")), "0.5");
    assert_eq!(rendered(&node(FLOAT5, "-5.e3")), "-5.0e3");
    assert_eq!(
        rendered(&node(TEXT5, r"a\x41\'b\v")),
        r#""a\u0041'b\u000b""#
    );
    assert_eq!(rendered(&node(TEXT5, "a\"\n")), r#""a\"\n""#);
    assert_eq!(rendered(&node(TEXTRAW, "a\"\\")), r#""a\"\\""#);
    assert_eq!(rendered(&node(TEXT, "it's")), r#""it's""#);
    // A TEXTRAW label is a key like any other.
    let mut object = vec![0x5c, 0x2a, b'a', b'"', 0x13, b'1'];
    assert_eq!(rendered(&object), r#"{"a\"":1}"#);
    // What each type refuses.
    for (kind, payload) in [
        (INT, "1x"),
        (INT, "-"),
        (INT, ""),
        (INT5, "0y1"),
        (FLOAT, ".5"),
        (FLOAT, "5."),
        (FLOAT, "01.5"),
        (FLOAT, "15"),
        (FLOAT, "1e"),
        (FLOAT5, "1.2.3"),
        (TEXT, "a\"b"),
        (TEXT, "a\\n"),
        (TEXTJ, "a\\x41"),
        (TEXTJ, "\\u12"),
        (TEXT5, "\\q"),
        (13, ""),
    ] {
        let blob = node(kind, payload);
        assert_ne!(fault_offset(&blob), 0, "{kind} {payload:?}");
        assert!(decode(&blob).is_err(), "{kind} {payload:?}");
    }
    // An object needs text labels and whole members.
    object[1] = 0x13;
    assert_ne!(fault_offset(&object), 0);
    assert_ne!(fault_offset(&[0x2c, 0x17, b'a']), 0);
    // NULL, TRUE and FALSE carry no payload.
    assert_ne!(fault_offset(&[0x10, 0]), 0);
}

#[test]
fn which_blobs_are_jsonb() {
    assert!(is_jsonb(&[0]));
    assert!(is_jsonb(&encoded("[1,2]")));
    assert!(is_jsonb(&encoded("{\"abcdefgh\":1}")));
    // JSON text is not JSONB (a header that does not span it, or a short one that fails).
    for text in ["[1]", "{}", "{\"a\":1}", "1", "12", "[]", " 1", "true"] {
        assert!(!is_jsonb(text.as_bytes()), "{text}");
    }
    assert!(!is_jsonb(&[]));
    assert!(!is_jsonb(&[0x0d]));
    assert!(!is_jsonb(&[0x0b, 0x00]));
}

#[test]
fn depth_is_bounded() {
    let nested = |depth: usize| {
        let mut json = Json::Null;
        for _ in 0..depth {
            json = Json::Array(vec![json]);
        }
        encode(&json).unwrap()
    };
    assert!(decode(&nested(JSON_DEPTH_MAX - 1)).is_ok());
    assert!(decode(&nested(JSON_DEPTH_MAX + 1)).is_err());
}

/// Every proper prefix of a blob is refused, and no single-byte change panics; a changed
/// blob that still decodes renders to JSON that parses back to the same tree.
#[test]
fn hostile_blobs_give_errors_not_panics() {
    let texts = [
        r#"{"a":[1,2.5,"x",{"b":null,"c":"\n"}],"d":-7e-2}"#,
        &format!("[\"{}\",[{}]]", "y".repeat(300), "1,".repeat(120) + "2"),
    ];
    for text in texts {
        let blob = encoded(text);
        for end in 0..blob.len() {
            assert!(decode(&blob[..end]).is_err(), "{text} prefix {end}");
            assert_ne!(fault_offset(&blob[..end]), 0);
        }
        for at in 0..blob.len() {
            for byte in 0..=255u8 {
                let mut changed = blob.clone();
                changed[at] = byte;
                let _ = is_jsonb(&changed);
                if let Ok(json) = decode(&changed) {
                    let text = json.to_text().unwrap();
                    assert_eq!(parse(&text).unwrap().to_text().unwrap(), text);
                }
            }
        }
    }
    // Headers that lie: sizes past the end, cut-short size bytes.
    for blob in [
        &[0xcb, 0x05, 0x00][..],
        &[0xdb, 0x00][..],
        &[0xeb, 0, 0, 0][..],
        &[0xfb, 0, 0, 0, 0, 0, 0, 0][..],
        &[0xfb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff][..],
        &[0x2b, 0xc3, 0x09][..],
    ] {
        assert!(decode(blob).is_err(), "{blob:?}");
        assert!(!is_jsonb(blob) || fault_offset(blob) != 0);
    }
}
