//! REAL to TEXT as SQLite renders it. `format_real` is SQLite's (3.54) `%!.17g` with its
//! round-trip shortening: the value's 18 leading decimal digits (as SQLite computes them:
//! `real_digits`) are rounded to 17, unless a
//! run of nines or zeros in digits 14-16 shows a shorter text that reads back as exactly the
//! same double (so 49.47 prints as 49.47, 0.1 + 0.2 as 0.30000000000000004, 1.0 / 3 as
//! 0.33333333333333332). `format_real_15` is `%!.15g`, which `quote()` tries first. Both
//! keep a decimal point or an exponent so the text reads back as a REAL, print -0.0 as 0.0,
//! and use exponent form below 1e-4 and from 10^precision up.

/// Decimal digits of a positive finite double: `digits` (ASCII, no leading zero, no trailing
/// zeros) and `point`, the position of the decimal point (value = 0.digits x 10^point).
struct Decimal {
    digits: Vec<u8>,
    point: i32,
}

/// The `count` leading significant digits of `r` (> 0, finite) as SQLite computes them
/// (`real_digits`: not always correctly rounded in the last digit).
fn leading_digits(r: f64, count: usize) -> Decimal {
    debug_assert!(r > 0.0 && r.is_finite() && (1..=18).contains(&count));
    let (value, power) = crate::real_digits::leading_digits(r, count as i32);
    let digits = value.to_string().into_bytes();
    Decimal {
        point: digits.len() as i32 + power,
        digits,
    }
}

/// Whether `digits` x 10^`exponent` reads back as exactly `r`.
fn reads_back_as(r: f64, digits: &[u8], exponent: i32) -> bool {
    let text = format!("{}e{exponent}", String::from_utf8_lossy(digits));
    text.parse::<f64>().ok() == Some(r)
}

/// Rounds `decimal` to its first `keep` digits (half up, as SQLite does), then drops
/// trailing zeros.
fn round_to(mut decimal: Decimal, keep: usize) -> Decimal {
    if keep < decimal.digits.len() {
        let round_up = decimal.digits[keep] >= b'5';
        decimal.digits.truncate(keep);
        if round_up {
            let mut carry = true;
            for digit in decimal.digits.iter_mut().rev() {
                if *digit == b'9' {
                    *digit = b'0';
                } else {
                    *digit += 1;
                    carry = false;
                    break;
                }
            }
            if carry {
                decimal.digits.insert(0, b'1');
                decimal.point += 1;
            }
        }
    }
    while decimal.digits.len() > 1 && decimal.digits.last() == Some(&b'0') {
        decimal.digits.pop();
    }
    decimal
}

/// SQLite's `sqlite3FpDecode(r, 17, 20)`: 17 digits, shortened where a run of nines or
/// zeros allows a shorter text that reads back as `r`.
fn digits_17(r: f64) -> Decimal {
    let decimal = leading_digits(r, 18);
    if decimal.digits.len() <= 17 {
        // Nothing to round (SQLite shortens only digits it rounds).
        return round_to(decimal, 17);
    }
    let z = &decimal.digits;
    let n = z.len() as i32;
    let mut keep = 17;
    if z[15] == b'9' && z[14] == b'9' {
        // A run of nines ending at digit 16: rounding up before the run may read back.
        let mut start = 14;
        while start > 0 && z[start - 1] == b'9' {
            start -= 1;
        }
        let shorter: Vec<u8> = if start == 0 {
            vec![b'1']
        } else {
            let prefix: u64 = z[..start]
                .iter()
                .fold(0, |v, d| v * 10 + u64::from(d - b'0'));
            (prefix + 1).to_string().into_bytes()
        };
        // The prefix plus one, in units of its last digit (a prefix ends in a non-nine, so
        // adding one never carries past it).
        if reads_back_as(r, &shorter, decimal.point - start as i32) {
            keep = start + 1;
        }
    } else if decimal.point >= n || (z[15] == b'0' && z[14] == b'0' && z[13] == b'0') {
        // A run of zeros in digits 14-16 (or a huge integer): cutting there may read back.
        let mut end = 13;
        while end > 1 && z[end - 1] == b'0' {
            end -= 1;
        }
        if reads_back_as(r, &z[..end], decimal.point - end as i32) {
            keep = end + 1;
        }
    }
    round_to(decimal, keep)
}

/// `%!.<precision>g` of the sign and `decimal`.
fn render(negative: bool, decimal: &Decimal, precision: i32) -> String {
    let mut out = String::with_capacity(24);
    if negative {
        out.push('-');
    }
    let digits = String::from_utf8_lossy(&decimal.digits);
    let exponent = decimal.point - 1;
    if exponent < -4 || exponent > precision - 1 {
        let (first, rest) = digits.split_at(1);
        out.push_str(first);
        out.push('.');
        out.push_str(if rest.is_empty() { "0" } else { rest });
        out.push('e');
        out.push(if exponent < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", exponent.abs()));
    } else if decimal.point <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n(
            '0',
            decimal.point.unsigned_abs() as usize,
        ));
        out.push_str(&digits);
    } else {
        let point = decimal.point as usize;
        if point >= digits.len() {
            out.push_str(&digits);
            out.extend(std::iter::repeat_n('0', point - digits.len()));
            out.push_str(".0");
        } else {
            out.push_str(&digits[..point]);
            out.push('.');
            out.push_str(&digits[point..]);
        }
    }
    out
}

/// The text of a non-finite or zero value, if `r` is one.
fn special(r: f64) -> Option<String> {
    if r.is_nan() {
        Some("NaN".to_string())
    } else if r.is_infinite() {
        Some(if r > 0.0 { "Inf" } else { "-Inf" }.to_string())
    } else if r == 0.0 {
        // SQLite prints -0.0 as 0.0 (its decimal conversion drops the sign of a zero).
        Some("0.0".to_string())
    } else {
        None
    }
}

/// A REAL as SQLite converts it to TEXT (`%!.17g`, shortened when that reads back).
pub fn format_real(r: f64) -> String {
    if let Some(text) = special(r) {
        return text;
    }
    render(r < 0.0, &digits_17(r.abs()), 17)
}

/// A REAL as `%!.15g`: 15 significant digits, trailing zeros removed.
pub fn format_real_15(r: f64) -> String {
    if let Some(text) = special(r) {
        return text;
    }
    render(r < 0.0, &round_to(leading_digits(r.abs(), 16), 15), 15)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reals_render_like_sqlite_3_54() {
        // Every expected text below is what the bundled SQLite 3.54.1 returns for
        // CAST(<value> AS TEXT).
        let cases: &[(f64, &str)] = &[
            (1.0, "1.0"),
            (-0.0, "0.0"),
            (0.1, "0.1"),
            (-2.5, "-2.5"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1.0 / 3.0, "0.33333333333333332"),
            (1.0 / 9.0, "0.1111111111111111"),
            (-1.0 / 9.0, "-0.1111111111111111"),
            (2.0 / 3.0, "0.66666666666666663"),
            (49.47, "49.47"),
            (100.0, "100.0"),
            (1e15, "1000000000000000.0"),
            (1e16, "10000000000000000.0"),
            (1e20, "1.0e+20"),
            (1.5e17, "1.5e+17"),
            (123456789012345678.0, "1.2345678901234568e+17"),
            (1e-5, "1.0e-05"),
            (0.0001, "0.0001"),
            (123456789.0, "123456789.0"),
            (1e301, "1.0e+301"),
            (1e-7 / 3.0, "3.3333333333333334e-08"),
            (4503599627370497.0, "4503599627370497.0"),
            (9007199254740992.0, "9007199254740992.0"),
            (100000000000000.5, "100000000000000.5"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (f64::INFINITY, "Inf"),
            (f64::NEG_INFINITY, "-Inf"),
        ];
        for &(value, expected) in cases {
            assert_eq!(format_real(value), expected, "{value:?}");
        }
    }

    #[test]
    fn fifteen_digits_as_printf_does() {
        assert_eq!(format_real_15(1.0 / 3.0), "0.333333333333333");
        assert_eq!(format_real_15(0.1 + 0.2), "0.3");
        assert_eq!(format_real_15(1e20), "1.0e+20");
        assert_eq!(format_real_15(1e15), "1.0e+15");
        assert_eq!(format_real_15(123456.789), "123456.789");
        assert_eq!(format_real_15(1.5e-7), "1.5e-07");
        assert_eq!(format_real_15(-2.5), "-2.5");
        assert_eq!(format_real_15(0.999_999_999_999_999_9), "1.0");
    }

    #[test]
    fn every_text_reads_back_as_a_real() {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let value = f64::from_bits(state);
            if !value.is_finite() {
                continue;
            }
            let text = format_real(value);
            let back: f64 = text.parse().unwrap();
            // 17 significant digits identify every double.
            assert_eq!(back, value, "{text}");
            assert!(text.contains('.') || text.contains('e'), "{text}");
        }
    }
}
