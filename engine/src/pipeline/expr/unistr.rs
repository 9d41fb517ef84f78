//! `unistr(X)`: SQLite's reading of Unicode escapes in text (`\XXXX`, `\uXXXX`,
//! `\+XXXXXX`, `\UXXXXXXXX`, `\\`).

use crate::error::Result;

/// `unistr(text)`: each `\\` is a backslash, and `\XXXX`, `\uXXXX`, `\+XXXXXX` and
/// `\UXXXXXXXX` (hexadecimal digits) the character of that code point; any other backslash
/// is SQLite's `invalid Unicode escape`. A code point no character has (a surrogate, or
/// past U+10FFFF, which SQLite writes as bytes that are not UTF-8) reads as U+FFFD.
pub(super) fn unistr(text: &str) -> Result<String> {
    let invalid = || crate::err!(InvalidInput, "invalid Unicode escape");
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        let escape = &rest[at + 1..];
        let (digits, skip) = match escape.as_bytes().first() {
            Some(b'\\') => {
                out.push('\\');
                rest = &escape[1..];
                continue;
            }
            Some(byte) if byte.is_ascii_hexdigit() => (4, 0),
            Some(b'+') => (6, 1),
            Some(b'u') => (4, 1),
            Some(b'U') => (8, 1),
            _ => return Err(invalid()),
        };
        let hex = escape.get(skip..skip + digits).ok_or_else(invalid)?;
        if !hex.bytes().all(|byte| byte.is_ascii_hexdigit()) {
            return Err(invalid());
        }
        let code = u32::from_str_radix(hex, 16).map_err(|_| invalid())?;
        out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
        rest = &escape[skip + digits..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_read_as_sqlite_reads_them() {
        assert_eq!(
            unistr("a\\0041\\u00e9\\+01F600\\U0001F600\\\\z").unwrap(),
            "aAé😀😀\\z"
        );
        for bad in ["\\", "\\x41", "\\u12", "\\12G4", "\\+1234", "a\\"] {
            assert!(unistr(bad).is_err(), "{bad:?}");
        }
        assert_eq!(unistr("\\uD800\\U00110000").unwrap(), "\u{fffd}\u{fffd}");
    }
}
