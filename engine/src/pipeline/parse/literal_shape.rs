//! The literal shape of an `INSERT ... VALUES` statement: its text with every literal that
//! is a whole value of a VALUES row replaced by `?`, and those literals as values in order.
//! `INSERT INTO t VALUES (1, 'a'), (-2, NULL)` and `INSERT INTO t VALUES (3, 'b'), (4, 5)`
//! share the shape `INSERT INTO t VALUES (?, ?), (?, ?)`, so a script of many such
//! statements (a dump) parses and plans each shape once and runs its plan with each
//! statement's literals as parameter values.
//!
//! A cheap scan, not a parser: it lifts a literal only where a parameter means the same
//! (a whole row value: after `(` or `,` and before `,` or `)`, inside the top-level VALUES
//! rows; a leading `-` goes with a number), reads each literal to the value the binder makes
//! of it, and gives up (`None`) on text it does not follow: parameters of its own, several
//! statements, an unterminated literal or comment, no literal to lift.

use ember_storage::Value;

/// A statement's shape text and the literals lifted out of it.
#[derive(Debug, PartialEq)]
pub struct LiteralShape {
    /// The statement with each lifted literal replaced by `?`.
    pub text: String,
    /// The lifted literals, in the order of their `?`s.
    pub values: Vec<Value>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    /// Whitespace or a comment.
    Space,
    Word,
    /// A number as the binder reads it (digits, a point, an exponent).
    Number,
    /// A single-quoted string.
    Text,
    /// `X'..'`.
    Blob,
    /// A quoted identifier, or a number run into letters (`0x1F`): kept as written.
    Other,
    Punct(u8),
}

#[derive(Clone, Copy)]
struct Token {
    kind: Kind,
    start: usize,
    end: usize,
}

/// The shape of `sql` when it is one INSERT (or REPLACE) with VALUES rows holding at least
/// one liftable literal.
pub fn insert_shape(sql: &str) -> Option<LiteralShape> {
    let significant = significant_tokens(sql)?;
    let word = |token: &Token, name: &str| {
        token.kind == Kind::Word && sql[token.start..token.end].eq_ignore_ascii_case(name)
    };
    let first = significant.first()?;
    if !word(first, "INSERT") && !word(first, "REPLACE") {
        return None;
    }
    let mut depth = 0usize;
    let mut values_at = None;
    for (index, token) in significant.iter().enumerate() {
        match token.kind {
            Kind::Punct(b'(') => depth += 1,
            Kind::Punct(b')') => depth = depth.checked_sub(1)?,
            Kind::Punct(b';') if index + 1 != significant.len() => return None,
            _ if depth == 0 && values_at.is_none() && word(token, "VALUES") => {
                values_at = Some(index)
            }
            _ => {}
        }
    }
    let rows = &significant[values_at? + 1..];
    let lifted = lift(sql, rows)?;
    if lifted.is_empty() {
        return None;
    }
    let mut text = String::with_capacity(sql.len());
    let mut values = Vec::with_capacity(lifted.len());
    let mut copied = 0;
    for (start, end, value) in lifted {
        debug_assert!(copied <= start && start < end, "lifted spans are in order");
        text.push_str(&sql[copied..start]);
        text.push('?');
        values.push(value);
        copied = end;
    }
    text.push_str(&sql[copied..]);
    Some(LiteralShape { text, values })
}

/// The liftable literals of the VALUES rows `rows` starts with: (start, end, value) each,
/// `start` at the sign of a negative number. `None` when a literal does not read.
fn lift(sql: &str, rows: &[Token]) -> Option<Vec<(usize, usize, Value)>> {
    let mut lifted = Vec::new();
    let mut depth = 0usize;
    let punct = |index: usize, bytes: &[u8]| {
        rows.get(index)
            .is_some_and(|t| matches!(t.kind, Kind::Punct(b) if bytes.contains(&b)))
    };
    for (index, token) in rows.iter().enumerate() {
        match token.kind {
            Kind::Punct(b'(') => depth += 1,
            Kind::Punct(b')') => depth -= 1,
            Kind::Punct(b',') if depth == 0 => {}
            _ if depth == 0 => break,
            _ => {}
        }
        if depth != 1 || !punct(index + 1, b",)") {
            continue;
        }
        let after_open = |at: Option<usize>| at.is_some_and(|at| punct(at, b"(,"));
        let negated = index >= 1 && punct(index - 1, b"-") && after_open(index.checked_sub(2));
        if !negated && !after_open(index.checked_sub(1)) {
            continue;
        }
        let text = &sql[token.start..token.end];
        let value = match token.kind {
            Kind::Number => number(text, negated)?,
            Kind::Text if !negated => Value::Text(text[1..text.len() - 1].replace("''", "'")),
            Kind::Blob if !negated => match blob(&text[2..text.len() - 1]) {
                Some(bytes) => Value::Blob(bytes),
                None => continue,
            },
            Kind::Word if !negated && text.eq_ignore_ascii_case("NULL") => Value::Null,
            _ => continue,
        };
        let start = if negated {
            rows[index - 1].start
        } else {
            token.start
        };
        lifted.push((start, token.end, value));
    }
    Some(lifted)
}

/// The value of a number literal, as the binder reads it (`bind::parse_number`; a negated
/// integer whose negation fits is that integer, as `-9223372036854775808` is).
fn number(text: &str, negated: bool) -> Option<Value> {
    if negated && text.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(i) = format!("-{text}").parse::<i64>() {
            return Some(Value::Integer(i));
        }
    }
    match crate::bind::parse_number(text).ok()? {
        Value::Integer(i) if negated => Some(Value::Integer(i.checked_neg()?)),
        // `-0.0` as written is a negation the binder folds; as a parameter it would be a
        // negative zero, which the general path never stores: left to that path.
        Value::Real(r) if negated && r == 0.0 => None,
        Value::Real(r) if negated => Some(Value::Real(-r)),
        value => Some(value),
    }
}

/// The bytes of a blob literal's hex digits; `None` when they are not pairs of hex digits
/// (the statement then keeps the literal, and the parser reports it).
fn blob(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

fn is_word_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte >= 0x80
}

/// The tokens of `sql` but whitespace and comments; `None` at a parameter or an
/// unterminated literal or comment.
fn significant_tokens(sql: &str) -> Option<Vec<Token>> {
    let bytes = sql.as_bytes();
    let mut tokens = Vec::with_capacity(64);
    let mut at = 0;
    while at < bytes.len() {
        let start = at;
        let byte = bytes[at];
        let next = bytes.get(at + 1).copied();
        let kind = match byte {
            b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' => {
                at += 1;
                Kind::Space
            }
            b'-' if next == Some(b'-') => {
                at = sql[at..].find('\n').map_or(bytes.len(), |n| at + n + 1);
                Kind::Space
            }
            b'/' if next == Some(b'*') => {
                at = at + 2 + sql[at + 2..].find("*/")? + 2;
                Kind::Space
            }
            b'\'' => {
                at = quoted_end(bytes, at, b'\'')?;
                Kind::Text
            }
            b'x' | b'X' if next == Some(b'\'') => {
                at = quoted_end(bytes, at + 1, b'\'')?;
                Kind::Blob
            }
            b'"' | b'`' => {
                at = quoted_end(bytes, at, byte)?;
                Kind::Other
            }
            b'[' => {
                at = at + sql[at..].find(']')? + 1;
                Kind::Other
            }
            b'?' | b':' | b'@' | b'$' => return None,
            b'0'..=b'9' => number_token(bytes, &mut at),
            b'.' if next.is_some_and(|b| b.is_ascii_digit()) => number_token(bytes, &mut at),
            _ if is_word_byte(byte) => {
                while at < bytes.len() && is_word_byte(bytes[at]) {
                    at += 1;
                }
                Kind::Word
            }
            _ => {
                at += 1;
                Kind::Punct(byte)
            }
        };
        if kind != Kind::Space {
            tokens.push(Token {
                kind,
                start,
                end: at,
            });
        }
    }
    Some(tokens)
}

/// The end of the literal quoted by `quote` that opens at `open` (a doubled quote stays
/// inside); `None` when it does not close.
fn quoted_end(bytes: &[u8], open: usize, quote: u8) -> Option<usize> {
    let mut at = open + 1;
    loop {
        if *bytes.get(at)? == quote {
            if bytes.get(at + 1) == Some(&quote) {
                at += 2;
                continue;
            }
            return Some(at + 1);
        }
        at += 1;
    }
}

/// Scans a number from `at`: digits, an optional point and digits, an optional exponent.
/// A number run into letters (`0x1F`, `1abc`) is one `Other` token.
fn number_token(bytes: &[u8], at: &mut usize) -> Kind {
    let digits = |at: &mut usize| {
        while bytes.get(*at).is_some_and(u8::is_ascii_digit) {
            *at += 1;
        }
    };
    digits(at);
    if bytes.get(*at) == Some(&b'.') {
        *at += 1;
        digits(at);
    }
    if matches!(bytes.get(*at), Some(b'e' | b'E')) {
        let mut exponent = *at + 1;
        if matches!(bytes.get(exponent), Some(b'+' | b'-')) {
            exponent += 1;
        }
        if bytes.get(exponent).is_some_and(u8::is_ascii_digit) {
            *at = exponent;
            digits(at);
        }
    }
    if bytes
        .get(*at)
        .is_some_and(|&b| is_word_byte(b) || b == b'.')
    {
        while bytes
            .get(*at)
            .is_some_and(|&b| is_word_byte(b) || b == b'.')
        {
            *at += 1;
        }
        return Kind::Other;
    }
    Kind::Number
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(sql: &str) -> Option<(String, Vec<Value>)> {
        insert_shape(sql).map(|shape| (shape.text, shape.values))
    }

    #[test]
    fn lifts_whole_row_values() {
        let (text, values) =
            shape("INSERT INTO t VALUES(1,'it''s',-2.5,NULL,x'0aFF',-9223372036854775808);")
                .unwrap();
        assert_eq!(text, "INSERT INTO t VALUES(?,?,?,?,?,?);");
        assert_eq!(
            values,
            [
                Value::Integer(1),
                Value::Text("it's".into()),
                Value::Real(-2.5),
                Value::Null,
                Value::Blob(vec![0x0a, 0xff]),
                Value::Integer(i64::MIN),
            ]
        );
        let (text, values) = shape("replace into t (a, b) values (1e3, 2), (3, .5)").unwrap();
        assert_eq!(text, "replace into t (a, b) values (?, ?), (?, ?)");
        assert_eq!(values.len(), 4);
        assert_eq!(values[0], Value::Real(1000.0));
        assert_eq!(values[3], Value::Real(0.5));
    }

    #[test]
    fn equal_shapes_for_different_literals() {
        let a = shape("INSERT INTO t VALUES (1, 'a')").unwrap();
        let b = shape("INSERT INTO t VALUES (22, 'bbb')").unwrap();
        assert_eq!(a.0, b.0);
        assert_ne!(a.1, b.1);
    }

    #[test]
    fn keeps_literals_that_are_not_whole_row_values() {
        let (text, _) = shape(
            "INSERT INTO t VALUES (1 + 2, abs(-3), (SELECT 4), 5, 'a' || 'b', - -6, 0x1F) \
             ON CONFLICT (a) DO UPDATE SET b = 7",
        )
        .unwrap();
        assert_eq!(
            text,
            "INSERT INTO t VALUES (1 + 2, abs(-3), (SELECT 4), ?, 'a' || 'b', - -6, 0x1F) \
             ON CONFLICT (a) DO UPDATE SET b = 7"
        );
        let (text, _) = shape("INSERT INTO t VALUES (1) RETURNING 2, (3)").unwrap();
        assert_eq!(text, "INSERT INTO t VALUES (?) RETURNING 2, (3)");
    }

    #[test]
    fn gives_up_on_what_it_does_not_follow() {
        for sql in [
            "SELECT 1",
            "INSERT INTO t VALUES (?, 1)",
            "INSERT INTO t VALUES (:a, 1)",
            "INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)",
            "INSERT INTO t VALUES ('open)",
            "INSERT INTO t VALUES (1) /* open",
            "INSERT INTO t SELECT 1, 2",
            "INSERT INTO t DEFAULT VALUES",
            "INSERT INTO t VALUES (a, b)",
            "INSERT INTO t VALUES (1))",
        ] {
            assert_eq!(shape(sql), None, "{sql}");
        }
    }

    #[test]
    fn quoted_names_and_comments_stay_as_written() {
        let (text, values) =
            shape("INSERT INTO \"va(lues\" -- (9)\n VALUES /* 8 */ (\"x\", [y], 'z')").unwrap();
        assert_eq!(
            text,
            "INSERT INTO \"va(lues\" -- (9)\n VALUES /* 8 */ (\"x\", [y], ?)"
        );
        assert_eq!(values, [Value::Text("z".into())]);
    }

    #[test]
    fn odd_blob_literals_stay_for_the_parser() {
        let (text, _) = shape("INSERT INTO t VALUES (x'abc', 1)").unwrap();
        assert_eq!(text, "INSERT INTO t VALUES (x'abc', ?)");
    }

    #[test]
    fn a_negated_real_zero_leaves_the_statement_to_the_general_path() {
        assert!(insert_shape("INSERT INTO t VALUES (1, -0.0)").is_none());
        assert!(insert_shape("INSERT INTO t VALUES (1, -0e5)").is_none());
        let (_, values) = shape("INSERT INTO t VALUES (-0, -0.5)").unwrap();
        assert_eq!(values, [Value::Integer(0), Value::Real(-0.5)]);
    }
}
