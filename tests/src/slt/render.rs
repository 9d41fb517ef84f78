//! Renders engine values by a query's type letters (I, T, R), sorts them by the sort mode and
//! hashes them with MD5, as the sqllogictest format prescribes.

use ember::Value;
use md5::{Digest, Md5};

use super::parser::SortMode;

/// Renders one value under the column's type letter.
pub fn render(value: &Value, letter: char) -> String {
    if value.is_null() {
        return "NULL".to_string();
    }
    match letter {
        'I' => render_integer(value),
        'R' => render_real(as_real(value)),
        _ => render_text(value),
    }
}

/// `%.3f` as the reference implementation prints it (SQLite's printf): at most 16
/// significant digits, the rest of the integer part as zeros.
fn render_real(real: f64) -> String {
    const DIGITS_MAX: usize = 16;
    let exact = format!("{real:.3}");
    let significant = exact
        .trim_start_matches('-')
        .trim_start_matches(['0', '.'])
        .chars()
        .filter(char::is_ascii_digit)
        .count();
    if !real.is_finite() || significant <= DIGITS_MAX {
        return exact;
    }
    // Round to 16 significant digits, then lay them out in fixed notation.
    let scientific = format!("{:.*e}", DIGITS_MAX - 1, real.abs());
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let point = exponent.parse::<i32>().unwrap_or(0) + 1;
    let sign = if real < 0.0 { "-" } else { "" };
    if point <= 0 {
        return exact;
    }
    let point = point as usize;
    let padded = format!("{digits:0<width$}", width = point + 3);
    format!("{sign}{}.{}", &padded[..point], &padded[point..point + 3])
}

fn render_integer(value: &Value) -> String {
    match value {
        Value::Integer(i) => i.to_string(),
        Value::Real(r) => format!("{}", real_to_integer(*r)),
        Value::Boolean(b) => i64::from(*b).to_string(),
        Value::Text(s) => leading_integer(s).to_string(),
        Value::Blob(b) => leading_integer(&String::from_utf8_lossy(b)).to_string(),
        Value::Null => "NULL".to_string(),
    }
}

/// Truncates toward zero, saturating like a C cast on the platforms SQLite runs on.
fn real_to_integer(r: f64) -> i64 {
    if r.is_nan() {
        0
    } else {
        r.trunc() as i64
    }
}

fn as_real(value: &Value) -> f64 {
    match value {
        Value::Integer(i) => *i as f64,
        Value::Real(r) => *r,
        Value::Boolean(b) => f64::from(u8::from(*b)),
        Value::Text(s) => leading_real(s),
        Value::Blob(b) => leading_real(&String::from_utf8_lossy(b)),
        Value::Null => 0.0,
    }
}

fn render_text(value: &Value) -> String {
    let text = match value {
        Value::Integer(i) => i.to_string(),
        Value::Real(r) => format_real(*r),
        Value::Boolean(b) => i64::from(*b).to_string(),
        Value::Text(s) => s.clone(),
        Value::Blob(b) => String::from_utf8_lossy(b).into_owned(),
        Value::Null => return "NULL".to_string(),
    };
    if text.is_empty() {
        return "(empty)".to_string();
    }
    text.chars()
        .map(|c| if (' '..='~').contains(&c) { c } else { '@' })
        .collect()
}

/// A real as SQLite prints it in text: `%!.15g`, with `.0` for integral values.
fn format_real(r: f64) -> String {
    if r.is_finite() && r == r.trunc() && r.abs() < 1e15 {
        return format!("{r:.1}");
    }
    let text = format!("{r}");
    if text.contains('e') || text.contains("inf") || text.contains("NaN") {
        return text;
    }
    let parsed: f64 = format!("{r:.14e}").parse().unwrap_or(r);
    format!("{parsed}")
}

/// The leading integer of a text, or 0 (like C's `atoi`).
fn leading_integer(s: &str) -> i64 {
    let t = s.trim_start();
    let bytes = t.as_bytes();
    let mut end = 0;
    if end < bytes.len() && (bytes[end] == b'-' || bytes[end] == b'+') {
        end += 1;
    }
    while end < bytes.len() && bytes[end].is_ascii_digit() {
        end += 1;
    }
    t[..end].parse().unwrap_or(0)
}

/// The leading real number of a text, or 0.0 (like C's `atof`).
fn leading_real(s: &str) -> f64 {
    let t = s.trim_start();
    let mut best = 0.0;
    for (end, _) in t.char_indices().skip(1).chain([(t.len(), ' ')]) {
        if let Ok(v) = t[..end].parse::<f64>() {
            best = v;
        }
    }
    best
}

/// Renders rows into a flat list of values in the order the sort mode asks for.
pub fn render_rows(rows: &[Vec<Value>], types: &str, sort: SortMode) -> Vec<String> {
    let letters: Vec<char> = types.chars().collect();
    let mut rendered: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            row.iter()
                .enumerate()
                .map(|(i, v)| render(v, letters.get(i).copied().unwrap_or('T')))
                .collect()
        })
        .collect();
    match sort {
        SortMode::NoSort => rendered.into_iter().flatten().collect(),
        SortMode::RowSort => {
            rendered.sort();
            rendered.into_iter().flatten().collect()
        }
        SortMode::ValueSort => {
            let mut values: Vec<String> = rendered.drain(..).flatten().collect();
            values.sort();
            values
        }
    }
}

/// The lowercase hex MD5 of the values, each followed by a newline.
pub fn hash_values(values: &[String]) -> String {
    let mut hasher = Md5::new();
    for value in values {
        hasher.update(value.as_bytes());
        hasher.update(b"\n");
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_by_letter() {
        assert_eq!(render(&Value::Null, 'I'), "NULL");
        assert_eq!(render(&Value::Real(-2.7), 'I'), "-2");
        assert_eq!(render(&Value::Text("12abc".into()), 'I'), "12");
        assert_eq!(render(&Value::Text("abc".into()), 'I'), "0");
        assert_eq!(render(&Value::Integer(3), 'R'), "3.000");
        assert_eq!(render(&Value::Real(1.23456), 'R'), "1.235");
        assert_eq!(
            render(&Value::Real(-9_223_372_036_854_775_808.0), 'R'),
            "-9223372036854776000.000"
        );
        assert_eq!(
            render(&Value::Real(-18_446_744_073_709_551_616.0), 'R'),
            "-18446744073709550000.000"
        );
        assert_eq!(
            render(&Value::Real(1234567890123.4567), 'R'),
            "1234567890123.457"
        );
        assert_eq!(render(&Value::Text(String::new()), 'T'), "(empty)");
        assert_eq!(render(&Value::Text("a\tb".into()), 'T'), "a@b");
        assert_eq!(render(&Value::Integer(7), 'T'), "7");
        assert_eq!(render(&Value::Real(2.0), 'T'), "2.0");
    }

    #[test]
    fn sorts_rows_bytewise_and_values_alone() {
        let rows = vec![
            vec![Value::Integer(9), Value::Integer(1)],
            vec![Value::Integer(10), Value::Integer(2)],
        ];
        assert_eq!(
            render_rows(&rows, "II", SortMode::RowSort),
            ["10", "2", "9", "1"]
        );
        assert_eq!(
            render_rows(&rows, "II", SortMode::ValueSort),
            ["1", "10", "2", "9"]
        );
        assert_eq!(
            render_rows(&rows, "II", SortMode::NoSort),
            ["9", "1", "10", "2"]
        );
    }

    #[test]
    fn hashes_like_the_reference() {
        // md5("1\n2\n")
        let values = vec!["1".to_string(), "2".to_string()];
        assert_eq!(hash_values(&values), "6ddb4095eb719e2a9f0a3f95677d24e0");
    }
}
