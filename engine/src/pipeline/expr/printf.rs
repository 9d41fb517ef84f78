//! `printf(format, ...)` / `format(format, ...)`: SQLite's printf conversions `%d %i %u %f
//! %e %E %g %G %x %X %o %c %s %z %q %Q %w %%`, with the flags `- + space 0 # , !` (`,`
//! groups integers), width and precision (also `*`, read as a 32-bit int). Missing
//! arguments read as 0 or ''; an unknown conversion ends the output (the text written
//! before it is the result, as SQLite's printf.c stops there). Output size is bounded.
//! The real conversions are `printf_real`'s.

use std::fmt::Write as _;

use ember_storage::Value;

use crate::error::Result;
use crate::limits::FUNCTION_RESULT_BYTES_MAX;

use super::cast::{integer_prefix, real_prefix, real_to_integer};
use super::function::Arguments;
use super::printf_real::write_real;
use super::spare_text::{give_back, take_spare};
use super::text::text_of;

/// One conversion's flags, width and precision.
#[derive(Default)]
pub(super) struct Spec {
    pub left_align: bool,
    /// `+` or ` ` (the later flag wins, as in SQLite).
    pub sign_flag: Option<char>,
    pub zero_pad: bool,
    /// `#`.
    pub alternate: bool,
    /// `!`.
    pub alternate_form2: bool,
    pub thousands: bool,
    pub width: usize,
    pub precision: Option<usize>,
}

/// What a missing argument reads as.
static MISSING: Value = Value::Null;

/// Formats `args[1..]` by the format text `args[0]`; NULL format gives NULL. The arguments
/// are owned, or borrowed from the row by a compiled call (`scalar.rs`).
pub(crate) fn printf<A: Arguments + ?Sized>(args: &A) -> Result<Value> {
    let mut out = String::new();
    Ok(if printf_into(args, &mut out)? {
        Value::Text(out)
    } else {
        Value::Null
    })
}

/// `printf` written into `out` (cleared first): `Ok(true)` with the text in `out`,
/// `Ok(false)` for NULL (a compiled call writes into a buffer it keeps between rows:
/// `Scalar::eval_into`).
pub(crate) fn printf_into<A: Arguments + ?Sized>(args: &A, out: &mut String) -> Result<bool> {
    out.clear();
    // A NULL format gives NULL; an empty one an empty text (as the bundled SQLite 3.54
    // answers; older releases gave NULL).
    let Some(format) = args.at(0).and_then(text_of) else {
        return Ok(false);
    };
    let mut at = 0;
    let mut next = move || {
        at += 1;
        args.at(at).unwrap_or(&MISSING)
    };
    out.reserve(format.len() + 16);
    // One conversion's text before padding, reused by each (a spare buffer, given back).
    let mut body = take_spare();
    // The format is read as bytes: everything it reads besides a conversion's letter is
    // ASCII, a run of text between conversions is copied whole, and a letter that is not
    // ASCII is an unknown conversion.
    let bytes = format.as_bytes();
    let mut at_byte = 0;
    while at_byte < bytes.len() {
        let run = bytes[at_byte..]
            .iter()
            .position(|&byte| byte == b'%')
            .map_or(bytes.len(), |offset| at_byte + offset);
        // `run` is at a '%' or the end: a character boundary.
        out.push_str(&format[at_byte..run]);
        if run == bytes.len() {
            break;
        }
        let mut cursor = Cursor { bytes, at: run + 1 };
        let mut spec = Spec::default();
        while let Some(flag) = cursor.peek() {
            match flag {
                b'-' => spec.left_align = true,
                b'+' | b' ' => spec.sign_flag = Some(char::from(flag)),
                b'0' => spec.zero_pad = true,
                b'#' => spec.alternate = true,
                b',' => spec.thousands = true,
                b'!' => spec.alternate_form2 = true,
                _ => break,
            }
            cursor.at += 1;
        }
        spec.width = read_count(&mut cursor, &mut next, &mut spec.left_align);
        if cursor.next_if_eq(b'.') {
            let mut ignored = false;
            spec.precision = Some(read_count(&mut cursor, &mut next, &mut ignored));
        }
        // `l` or `ll` (SQLite reads no more: a third is the conversion letter).
        if cursor.next_if_eq(b'l') {
            cursor.next_if_eq(b'l');
        }
        // A byte that is not ASCII starts a letter no conversion has; a letter no
        // conversion has (or the format's end) ends the output there, as in SQLite,
        // except that a '%' ending the format is kept.
        let conversion = match cursor.peek() {
            Some(letter) if is_conversion(letter) => char::from(letter),
            Some(_) => break,
            None => {
                if cursor.at == run + 1 {
                    out.push('%');
                }
                break;
            }
        };
        check_size(spec.width.max(spec.precision.unwrap_or(0)), out.len())?;
        at_byte = cursor.at + 1;
        body.clear();
        match conversion {
            '%' => body.push('%'),
            'd' | 'i' => signed(&mut body, &spec, integer_arg(next())),
            // The integer's 64 bits read unsigned, without a sign (as SQLite reads them).
            'u' => decimal(&mut body, &spec, "", integer_arg(next()) as u64),
            'x' | 'X' | 'o' => radix(&mut body, &spec, conversion, integer_arg(next())),
            'f' | 'e' | 'E' | 'g' | 'G' => {
                write_real(out, &spec, conversion, real_arg(next()));
                check_size(0, out.len())?;
                continue;
            }
            'c' => {
                // A NULL or empty argument gives a NUL character; a precision repeats it.
                let c = text_of(next())
                    .and_then(|text| text.chars().next())
                    .unwrap_or('\0');
                body.extend(std::iter::repeat_n(c, spec.precision.unwrap_or(1).max(1)));
            }
            's' | 'z' => {
                let text = text_of(next()).unwrap_or_default();
                match spec.precision {
                    // Characters under `!`, else bytes (cut at a character's start).
                    Some(precision) if spec.alternate_form2 => {
                        body.extend(text.chars().take(precision))
                    }
                    Some(precision) => {
                        let mut end = precision.min(text.len());
                        while !text.is_char_boundary(end) {
                            end -= 1;
                        }
                        body.push_str(&text[..end]);
                    }
                    None => body.push_str(&text),
                }
            }
            'q' | 'Q' | 'w' => {
                let quote = if conversion == 'w' { '"' } else { '\'' };
                match text_of(next()) {
                    None if conversion == 'Q' => body.push_str("NULL"),
                    None => body.push_str("(NULL)"),
                    Some(text) => {
                        if conversion == 'Q' {
                            body.push('\'');
                        }
                        for c in text.chars() {
                            body.push(c);
                            if c == quote {
                                body.push(quote);
                            }
                        }
                        if conversion == 'Q' {
                            body.push('\'');
                        }
                    }
                }
            }
            // `is_conversion` lets only the letters above through.
            _ => break,
        }
        pad(out, &spec, &body);
        check_size(0, out.len())?;
    }
    give_back(body);
    Ok(true)
}

/// Whether `letter` is a conversion `printf_into` writes (`%` included).
fn is_conversion(letter: u8) -> bool {
    matches!(
        letter,
        b'%' | b'd'
            | b'i'
            | b'u'
            | b'x'
            | b'X'
            | b'o'
            | b'f'
            | b'e'
            | b'E'
            | b'g'
            | b'G'
            | b'c'
            | b's'
            | b'z'
            | b'q'
            | b'Q'
            | b'w'
    )
}

fn check_size(extra: usize, current: usize) -> Result<()> {
    if extra.saturating_add(current) > FUNCTION_RESULT_BYTES_MAX {
        return Err(crate::err!(
            Limit,
            "printf result exceeds the limit of {FUNCTION_RESULT_BYTES_MAX} bytes"
        ));
    }
    Ok(())
}

/// A position in a format's bytes.
struct Cursor<'f> {
    bytes: &'f [u8],
    at: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    /// Steps over `byte` when it is next.
    fn next_if_eq(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        self.at += usize::from(found);
        found
    }
}

/// A width or precision: digits, or `*` taking the next argument (negative width aligns
/// left).
fn read_count<'a>(
    cursor: &mut Cursor<'_>,
    next: &mut impl FnMut() -> &'a Value,
    left_align: &mut bool,
) -> usize {
    if cursor.next_if_eq(b'*') {
        // SQLite reads the count as a C int.
        let value = integer_arg(next()) as i32;
        if value < 0 {
            *left_align = true;
        }
        return usize::try_from(value.unsigned_abs()).unwrap_or(usize::MAX);
    }
    let mut count: usize = 0;
    while let Some(digit) = cursor.peek().filter(u8::is_ascii_digit) {
        cursor.at += 1;
        count = count
            .saturating_mul(10)
            .saturating_add(usize::from(digit - b'0'));
    }
    count
}

fn integer_arg(value: &Value) -> i64 {
    match value {
        Value::Null => 0,
        Value::Integer(i) => *i,
        Value::Boolean(b) => i64::from(*b),
        Value::Real(r) => real_to_integer(*r),
        Value::Text(text) => integer_prefix(text),
        Value::Blob(bytes) => integer_prefix(&String::from_utf8_lossy(bytes)),
    }
}

fn real_arg(value: &Value) -> f64 {
    match value {
        Value::Null => 0.0,
        Value::Integer(i) => *i as f64,
        Value::Boolean(b) => f64::from(u8::from(*b)),
        Value::Real(r) => *r,
        Value::Text(text) => real_prefix(text),
        Value::Blob(bytes) => real_prefix(&String::from_utf8_lossy(bytes)),
    }
}

fn sign_prefix(spec: &Spec, negative: bool) -> &'static str {
    match (negative, spec.sign_flag) {
        (true, _) => "-",
        (false, Some('+')) => "+",
        (false, Some(_)) => " ",
        (false, None) => "",
    }
}

/// Writes `value` in decimal after its sign into `body` (empty), zero-extended to the
/// precision and grouped by thousands as `spec` says.
fn signed(body: &mut String, spec: &Spec, value: i64) {
    decimal(
        body,
        spec,
        sign_prefix(spec, value < 0),
        value.unsigned_abs(),
    );
}

/// Writes `sign` and `magnitude` in decimal into `body` (empty), zero-extended to the
/// precision and grouped by thousands as `spec` says.
fn decimal(body: &mut String, spec: &Spec, sign: &str, magnitude: u64) {
    body.push_str(sign);
    let start = body.len();
    let digits = magnitude.checked_ilog10().map_or(1, |log| log as usize + 1);
    zero_extend(body, digits, digits_wanted(spec, sign.len()));
    super::text::push_decimal(body, magnitude, 0);
    if spec.thousands {
        let grouped = group_thousands(&body[start..]);
        body.truncate(start);
        body.push_str(&grouped);
    }
}

/// How many digits an integer conversion writes at least: its precision, raised by the `0`
/// flag to the width less the sign's `sign_length` (SQLite pads with zeros this way, so
/// the zeros come under `-` too, are grouped by `,` and go after a `#` prefix).
fn digits_wanted(spec: &Spec, sign_length: usize) -> Option<usize> {
    if !spec.zero_pad {
        return spec.precision;
    }
    let floor = spec.width.saturating_sub(sign_length);
    Some(
        spec.precision
            .map_or(floor, |precision| precision.max(floor)),
    )
}

/// Appends the zeros that `digits` digits, written next, need before them to make
/// `precision` digits.
fn zero_extend(body: &mut String, digits: usize, precision: Option<usize>) {
    if let Some(missing) = precision.and_then(|precision| precision.checked_sub(digits)) {
        push_repeated(body, b'0', missing);
    }
}

fn group_thousands(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (position, digit) in digits.chars().enumerate() {
        if position > 0 && (digits.len() - position).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// Writes `value`'s bits in hexadecimal or octal into `body` (empty), with the `#` prefix.
fn radix(body: &mut String, spec: &Spec, conversion: char, value: i64) {
    let bits = value as u64;
    if spec.alternate && bits != 0 {
        body.push_str(match conversion {
            'x' => "0x",
            'X' => "0X",
            _ => "0",
        });
    }
    let bits_used = (u64::BITS - bits.leading_zeros()) as usize;
    let digit_bits = if conversion == 'o' { 3 } else { 4 };
    let digits = bits_used.div_ceil(digit_bits).max(1);
    zero_extend(body, digits, digits_wanted(spec, 0));
    let _ = match conversion {
        'x' => write!(body, "{bits:x}"),
        'X' => write!(body, "{bits:X}"),
        _ => write!(body, "{bits:o}"),
    };
}

/// Pads `body` to the width with spaces (an integer's `0` flag made it wide enough
/// already): counted in characters under `!`, else in bytes (SQLite's).
fn pad(out: &mut String, spec: &Spec, body: &str) {
    let length = if spec.alternate_form2 {
        body.chars().count()
    } else {
        body.len()
    };
    if length >= spec.width {
        out.push_str(body);
        return;
    }
    let fill = spec.width - length;
    if spec.left_align {
        out.push_str(body);
        push_repeated(out, b' ', fill);
    } else {
        push_repeated(out, b' ', fill);
        out.push_str(body);
    }
}

/// Appends `count` copies of `fill` (a space or a zero), a run at a time.
fn push_repeated(out: &mut String, fill: u8, mut count: usize) {
    const SPACES: &str = "                                ";
    const ZEROS: &str = "00000000000000000000000000000000";
    debug_assert!(fill == b' ' || fill == b'0');
    let run = if fill == b'0' { ZEROS } else { SPACES };
    out.reserve(count);
    while count > 0 {
        let step = count.min(run.len());
        out.push_str(&run[..step]);
        count -= step;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `super::printf` over owned arguments.
    fn printf(args: &[Value]) -> Result<Value> {
        super::printf(args)
    }

    fn fmt(format: &str, args: &[Value]) -> String {
        let mut all = vec![Value::Text(format.to_string())];
        all.extend_from_slice(args);
        match printf(&all).unwrap() {
            Value::Text(text) => text,
            other => panic!("{other:?}"),
        }
    }

    fn int(i: i64) -> Value {
        Value::Integer(i)
    }

    #[test]
    fn integers() {
        assert_eq!(fmt("%d-%s", &[int(1), Value::Text("a".into())]), "1-a");
        assert_eq!(
            fmt("%5d|%-5d|%05d", &[int(42), int(42), int(-42)]),
            "   42|42   |-0042"
        );
        assert_eq!(fmt("%+d % d", &[int(3), int(3)]), "+3  3");
        assert_eq!(fmt("%,d", &[int(1234567)]), "1,234,567");
        assert_eq!(fmt("%.3d", &[int(7)]), "007");
        // %u reads the integer's bits unsigned, with no sign (SQLite's answers).
        assert_eq!(
            fmt(
                "%u|%+u|% u|%,u|%.25u|%08u",
                &[int(-20), int(5), int(5), int(-1), int(-3), int(-4)]
            ),
            "18446744073709551596|5|5|18,446,744,073,709,551,615|0000018446744073709551613|\
             18446744073709551612"
        );
        assert_eq!(
            fmt("%x %X %#x %o", &[int(255), int(255), int(255), int(8)]),
            "ff FF 0xff 10"
        );
        assert_eq!(fmt("%d", &[]), "0");
        assert_eq!(fmt("%d", &[Value::Real(3.9)]), "3");
        assert_eq!(fmt("%*d", &[int(4), int(1)]), "   1");
        assert_eq!(fmt("100%%", &[]), "100%");
        assert_eq!(fmt("5%", &[]), "5%");
        // Flags, a width or `l` with no conversion after them end the output.
        assert_eq!(fmt("a%-", &[]), "a");
        assert_eq!(fmt("a%5", &[]), "a");
        // Text between conversions is copied whole, any characters.
        assert_eq!(fmt("é%dü%%日", &[int(7)]), "é7ü%日");
        assert_eq!(fmt("%040d|%-40d|", &[int(-5), int(5)]).len(), 82);
        // An unknown conversion ends the output: what was written before it is the text.
        assert_eq!(fmt("%é", &[int(1)]), "");
        assert_eq!(fmt("%d|%y%d", &[int(1), int(2)]), "1|");
        assert_eq!(fmt("ab%999999999y", &[]), "ab");
        assert_eq!(fmt("%lld|%llld", &[int(1), int(2)]), "1|");
        // The `0` flag pads an integer's digits under `-`, before `,` groups them and
        // before a `#` prefix; it never pads text (SQLite's answers).
        assert_eq!(
            fmt(
                "%-08d|%,010d|%#010x|%+06d|% 06d|%06.3d|%#08o|%-,08d|%06s|",
                &[
                    int(42),
                    int(1234),
                    int(255),
                    int(42),
                    int(-42),
                    int(7),
                    int(8),
                    int(1234),
                    Value::Text("ab".into())
                ]
            ),
            "00000042|0,000,001,234|0x00000000ff|+00042|-00042|000007|000000010|00,001,234|    ab|"
        );
    }

    #[test]
    fn reals() {
        assert_eq!(fmt("%f", &[Value::Real(1.5)]), "1.500000");
        assert_eq!(fmt("%.2f", &[Value::Real(4.56789)]), "4.57");
        assert_eq!(fmt("%8.2f|", &[Value::Real(-4.56789)]), "   -4.57|");
        assert_eq!(fmt("%e", &[Value::Real(12345.678)]), "1.234568e+04");
        assert_eq!(fmt("%g", &[Value::Real(0.0001)]), "0.0001");
        assert_eq!(fmt("%g", &[Value::Real(1e20)]), "1e+20");
        assert_eq!(fmt("%g", &[Value::Real(100.0)]), "100");
        assert_eq!(fmt("%g", &[Value::Real(1.5)]), "1.5");
        assert_eq!(fmt("%.3g", &[Value::Real(4.56789)]), "4.57");
    }

    #[test]
    fn text_and_quoting() {
        let text = |s: &str| Value::Text(s.to_string());
        assert_eq!(
            fmt("%.2s|%5s|%-5s|", &[text("abc"), text("ab"), text("ab")]),
            "ab|   ab|ab   |"
        );
        assert_eq!(fmt("%q", &[text("it's")]), "it''s");
        assert_eq!(fmt("%Q %Q", &[text("it's"), Value::Null]), "'it''s' NULL");
        assert_eq!(fmt("%w", &[text("a\"b")]), "a\"\"b");
        assert_eq!(fmt("%c", &[text("xyz")]), "x");
        assert_eq!(fmt("%c|%.3c", &[Value::Null, text("ab")]), "\0|aaa");
        assert_eq!(fmt("%s", &[Value::Null]), "");
        assert_eq!(printf(&[Value::Null]).unwrap(), Value::Null);
        assert_eq!(printf(&[text("")]).unwrap(), text(""));
        assert_eq!(fmt("%s", &[text("")]), "");
        // Precision and width count bytes, or characters under `!` (as SQLite).
        assert_eq!(fmt("%.2s|%4s|", &[text("é486"), text("é")]), "é|  é|");
        assert_eq!(fmt("%!.2s|%!4s|", &[text("é486"), text("é")]), "é4|   é|");
        assert!(printf(&[text("%2000000000d")]).is_err());
    }
}
