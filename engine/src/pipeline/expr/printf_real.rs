//! printf's real conversions `%f %e %E %g %G` as SQLite 3.54 renders them: the digits come
//! from `round_decimal::decode_rounded` (sqlite3FpDecode: ties round half up, at most 16
//! significant digits, 20 with the `!` flag), then are laid out as sqlite3_str_vappendf's
//! etFLOAT / etEXP / etGENERIC do (`#` keeps the point, `!` drops trailing zeros of `%f`
//! and keeps one digit after the point, `,` groups the integer digits, `0` pads after the
//! sign), with the field width applied. NaN prints `NaN` (`null` with `0`), infinities
//! `Inf` (with `0`: a 9 followed by 999 zeros, as SQLite prints them).

use super::printf::Spec;
use super::round_decimal::decode_rounded;

/// SQLite's SQLITE_FP_PRECISION_LIMIT.
const PRECISION_LIMIT: usize = 100_000_000;

/// The significant digits a decode keeps without and with the `!` flag.
const DIGITS_PLAIN: i32 = 16;
const DIGITS_ALTERNATE: i32 = 20;

/// The layout a conversion ends up with (`%g` becomes one of the others).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Layout {
    Fixed,
    Exponent,
}

/// The digits to lay out: `digits` (at least one), the point `point` digits after the
/// first, and the sign.
struct Digits<'a> {
    digits: &'a [u8],
    point: i32,
    negative: bool,
}

/// Appends `value` converted by `conversion` (one of `f e E g G`) under `spec` to `out`.
pub(super) fn write_real(out: &mut String, spec: &Spec, conversion: char, value: f64) {
    let general = matches!(conversion, 'g' | 'G');
    let mut precision = spec.precision.unwrap_or(6).min(PRECISION_LIMIT) as i32;
    let round = match conversion {
        'f' => -precision,
        _ if general => {
            precision = precision.max(1);
            precision
        }
        _ => precision + 1,
    };
    let field_start = out.len();
    let mut prefix = spec.sign_flag;
    if value.is_nan() {
        out.push_str(if spec.zero_pad { "null" } else { "NaN" });
        pad_with_spaces(out, field_start, spec);
        return;
    }
    let decoded;
    let digits = if value.is_infinite() {
        if !spec.zero_pad {
            if value < 0.0 {
                prefix = Some('-');
            }
            out.extend(prefix);
            out.push_str("Inf");
            pad_with_spaces(out, field_start, spec);
            return;
        }
        Digits {
            digits: b"9",
            point: 1000,
            negative: value < 0.0,
        }
    } else {
        let max_digits = if spec.alternate_form2 {
            DIGITS_ALTERNATE
        } else {
            DIGITS_PLAIN
        };
        decoded = decode_rounded(value, round, max_digits);
        Digits {
            digits: decoded.digits(),
            point: decoded.point,
            negative: decoded.negative,
        }
    };
    if digits.negative {
        // `%#f` of a negative value shown as zero drops the sign (unless `+` or ` `).
        let shows_zero = conversion == 'f' && digits.point <= round;
        prefix = if spec.alternate && spec.sign_flag.is_none() && shows_zero {
            None
        } else {
            Some('-')
        };
    }
    out.extend(prefix);
    let exponent = digits.point - 1;
    let (layout, trim_zeros) = if general {
        precision -= 1;
        if exponent < -4 || exponent > precision {
            (Layout::Exponent, !spec.alternate)
        } else {
            precision -= exponent;
            (Layout::Fixed, !spec.alternate)
        }
    } else if conversion == 'f' {
        (Layout::Fixed, spec.alternate_form2)
    } else {
        (Layout::Exponent, spec.alternate_form2)
    };
    let body_start = out.len();
    write_digits(out, spec, &digits, layout, precision, trim_zeros);
    if layout == Layout::Exponent {
        out.push(if matches!(conversion, 'E' | 'G') {
            'E'
        } else {
            'e'
        });
        out.push(if exponent < 0 { '-' } else { '+' });
        let magnitude = exponent.unsigned_abs();
        if magnitude >= 100 {
            out.push(digit_char(magnitude / 100));
        }
        out.push(digit_char(magnitude / 10 % 10));
        out.push(digit_char(magnitude % 10));
    }
    let length = out.len() - field_start;
    if length < spec.width {
        let fill = spec.width - length;
        if spec.left_align {
            out.extend(std::iter::repeat_n(' ', fill));
        } else if spec.zero_pad {
            insert_fill(out, body_start, '0', fill);
        } else {
            insert_fill(out, field_start, ' ', fill);
        }
    }
}

/// The digits of one layout, after the sign: the integer part (`0` when none, grouped by
/// `,`), the point when precision, `#` or `!` ask for it, `precision` decimals (zeros past
/// the digits), trailing zeros removed when `trim_zeros`.
fn write_digits(
    out: &mut String,
    spec: &Spec,
    digits: &Digits<'_>,
    layout: Layout,
    mut precision: i32,
    trim_zeros: bool,
) {
    let count = digits.digits.len();
    let digit_at = |at: usize| char::from(digits.digits.get(at).copied().unwrap_or(b'0'));
    let mut place = match layout {
        Layout::Exponent => 0,
        Layout::Fixed => digits.point - 1,
    };
    let mut next = 0usize;
    if place < 0 {
        out.push('0');
    } else if spec.thousands {
        while place >= 0 {
            out.push(digit_at(next));
            next += 1;
            if place % 3 == 0 && place > 1 {
                out.push(',');
            }
            place -= 1;
        }
        next = next.min(count);
    } else {
        next = (place as usize + 1).min(count);
        out.extend(digits.digits[..next].iter().map(|&digit| char::from(digit)));
        let zeros = place + 1 - next as i32;
        out.extend(std::iter::repeat_n('0', zeros.max(0) as usize));
        place = -1;
    }
    let with_point = precision > 0 || spec.alternate || spec.alternate_form2;
    if with_point {
        out.push('.');
    }
    if place < -1 && precision > 0 {
        let zeros = (-1 - place).min(precision);
        out.extend(std::iter::repeat_n('0', zeros as usize));
        precision -= zeros;
    }
    if precision > 0 {
        let shown = (count - next).min(precision as usize);
        let rest = &digits.digits[next..next + shown];
        out.extend(rest.iter().map(|&digit| char::from(digit)));
        precision -= shown as i32;
        if precision > 0 && !trim_zeros {
            out.extend(std::iter::repeat_n('0', precision as usize));
        }
    }
    if trim_zeros && with_point {
        while out.ends_with('0') {
            out.pop();
        }
        if out.ends_with('.') {
            if spec.alternate_form2 {
                out.push('0');
            } else {
                out.pop();
            }
        }
    }
}

fn digit_char(value: u32) -> char {
    char::from_digit(value, 10).unwrap_or('0')
}

/// Pads the field that starts at `field_start` with spaces to the width (`-`: after it).
fn pad_with_spaces(out: &mut String, field_start: usize, spec: &Spec) {
    let length = out.len() - field_start;
    if length < spec.width {
        let fill = spec.width - length;
        if spec.left_align {
            out.extend(std::iter::repeat_n(' ', fill));
        } else {
            insert_fill(out, field_start, ' ', fill);
        }
    }
}

fn insert_fill(out: &mut String, at: usize, fill: char, count: usize) {
    let tail = out.split_off(at);
    out.extend(std::iter::repeat_n(fill, count));
    out.push_str(&tail);
}
