//! SQLite's date and time functions: `date`, `time`, `datetime`, `julianday`, `unixepoch`,
//! `strftime`, `timediff`. A port of SQLite's date.c: a time value (ISO-8601 text, `now`, or
//! a Julian day number) is held as milliseconds of Julian day plus lazily derived Y-M-D and h:m:s,
//! then modifiers apply ('+N days', 'start of month', 'weekday N', 'unixepoch', 'subsec',
//! and the calendar shifts of `datetime_calendar.rs`: '+YYYY-MM-DD', 'floor', 'auto', ...).
//! Invalid input gives NULL. Local time is treated as UTC ('localtime' and 'utc' are no-ops).

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use ember_storage::Value;

use super::function::Arguments;
use super::text::text_of;

/// A date/time function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateFunction {
    Date,
    Time,
    DateTime,
    JulianDay,
    UnixEpoch,
    Strftime,
    TimeDiff,
}

impl DateFunction {
    pub fn from_name(name: &str) -> Option<DateFunction> {
        Some(match name {
            "date" => DateFunction::Date,
            "time" => DateFunction::Time,
            "datetime" => DateFunction::DateTime,
            "julianday" => DateFunction::JulianDay,
            "unixepoch" => DateFunction::UnixEpoch,
            "strftime" => DateFunction::Strftime,
            "timediff" => DateFunction::TimeDiff,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            DateFunction::Date => "date",
            DateFunction::Time => "time",
            DateFunction::DateTime => "datetime",
            DateFunction::JulianDay => "julianday",
            DateFunction::UnixEpoch => "unixepoch",
            DateFunction::Strftime => "strftime",
            DateFunction::TimeDiff => "timediff",
        }
    }

    /// Fewest arguments.
    pub fn fewest_arguments(self) -> usize {
        match self {
            DateFunction::Strftime => 1,
            DateFunction::TimeDiff => 2,
            _ => 0,
        }
    }

    /// Most arguments (`None`: any number of modifiers).
    pub fn most_arguments(self) -> Option<usize> {
        (self == DateFunction::TimeDiff).then_some(2)
    }
}

impl fmt::Display for DateFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Julian day milliseconds of 1970-01-01 00:00:00.
const UNIX_EPOCH_JD_MS: i64 = 210_866_760_000_000;
/// Largest valid Julian day in milliseconds (9999-12-31 23:59:59.999).
const JD_MS_MAX: i64 = 464_269_060_799_999;

#[derive(Debug, Clone, Copy, Default)]
struct DateTime {
    jd_ms: i64,
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    /// Timezone offset in minutes.
    tz_minutes: i64,
    seconds: f64,
    valid_jd: bool,
    valid_ymd: bool,
    valid_hms: bool,
    valid_tz: bool,
    /// `seconds` holds a raw number not yet interpreted (for 'unixepoch').
    raw_number: bool,
    error: bool,
    /// 'subsec': `unixepoch` gives a REAL, `datetime` and `time` milliseconds.
    use_subsec: bool,
    /// The days the last shift by months or years ran past its month's end ('floor').
    floor_days: i64,
}

fn valid_julian_day(jd_ms: i64) -> bool {
    (0..=JD_MS_MAX).contains(&jd_ms)
}

impl DateTime {
    fn compute_jd(&mut self) {
        if self.valid_jd {
            return;
        }
        let (mut y, mut m, d) = if self.valid_ymd {
            (self.year, self.month, self.day)
        } else if self.valid_hms && self.hour == 24 {
            // A time alone of 24:00 is midnight at the end of the day it assumes.
            self.hour = 0;
            (2000, 1, 2)
        } else {
            (2000, 1, 1)
        };
        if !(-4713..=9999).contains(&y) || self.raw_number {
            self.error = true;
            return;
        }
        if m <= 2 {
            y -= 1;
            m += 12;
        }
        let a = y / 100;
        let b = 2 - a + a / 4;
        let x1 = 36525 * (y + 4716) / 100;
        let x2 = 306001 * (m + 1) / 10000;
        self.jd_ms = (((x1 + x2 + d + b) as f64 - 1524.5) * 86_400_000.0) as i64;
        self.valid_jd = true;
        if self.valid_hms {
            self.jd_ms = self
                .jd_ms
                .saturating_add(self.hour * 3_600_000 + self.minute * 60_000)
                .saturating_add((self.seconds * 1000.0 + 0.5) as i64);
            if self.valid_tz {
                self.jd_ms = self.jd_ms.saturating_sub(self.tz_minutes * 60_000);
                self.valid_ymd = false;
                self.valid_hms = false;
                self.valid_tz = false;
            }
        }
    }

    fn compute_ymd(&mut self) {
        if self.valid_ymd {
            return;
        }
        if !self.valid_jd {
            (self.year, self.month, self.day) = (2000, 1, 1);
        } else if !valid_julian_day(self.jd_ms) {
            self.error = true;
            return;
        } else {
            let z = (self.jd_ms + 43_200_000) / 86_400_000;
            let alpha = ((z as f64 - 1_867_216.25) / 36_524.25) as i64;
            let a = z + 1 + alpha - alpha / 4;
            let b = a + 1524;
            let c = ((b as f64 - 122.1) / 365.25) as i64;
            let d = (36525 * (c & 32767)) / 100;
            let e = ((b - d) as f64 / 30.6001) as i64;
            let x1 = (30.6001 * e as f64) as i64;
            self.day = b - d - x1;
            self.month = if e < 14 { e - 1 } else { e - 13 };
            self.year = if self.month > 2 { c - 4716 } else { c - 4715 };
        }
        self.valid_ymd = true;
    }

    fn compute_hms(&mut self) {
        if self.valid_hms {
            return;
        }
        self.compute_jd();
        let millis = self.jd_ms.saturating_add(43_200_000) % 86_400_000;
        let whole_seconds = millis / 1000;
        self.seconds = (millis % 1000) as f64 / 1000.0 + (whole_seconds % 60) as f64;
        self.hour = whole_seconds / 3600;
        self.minute = (whole_seconds % 3600) / 60;
        self.raw_number = false;
        self.valid_hms = true;
    }

    fn compute_ymd_hms(&mut self) {
        self.compute_ymd();
        self.compute_hms();
    }

    fn clear_ymd_hms_tz(&mut self) {
        self.valid_ymd = false;
        self.valid_hms = false;
        self.valid_tz = false;
    }

    fn set_raw_number(&mut self, r: f64) {
        self.seconds = r;
        self.raw_number = true;
        if (0.0..5_373_484.5).contains(&r) {
            self.jd_ms = (r * 86_400_000.0 + 0.5) as i64;
            self.valid_jd = true;
        }
    }

    fn set_now(&mut self) {
        let unix_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_millis() as i64);
        self.jd_ms = UNIX_EPOCH_JD_MS + unix_ms;
        self.valid_jd = true;
    }
}

/// Reads `count` digits at the start of `text` as a number in `low..=high`.
fn digits(text: &[u8], count: usize, low: i64, high: i64) -> Option<i64> {
    let field = text.get(..count)?;
    if !field.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let value = field
        .iter()
        .fold(0, |value, digit| value * 10 + i64::from(digit - b'0'));
    (low..=high).contains(&value).then_some(value)
}

fn skip_spaces(text: &[u8]) -> &[u8] {
    let start = text
        .iter()
        .position(|byte| !byte.is_ascii_whitespace())
        .unwrap_or(text.len());
    &text[start..]
}

/// `[+-]HH:MM`, `Z` or nothing, then only spaces.
fn parse_timezone(text: &[u8], p: &mut DateTime) -> Option<()> {
    let text = skip_spaces(text);
    p.tz_minutes = 0;
    let rest = match text.first() {
        None => return Some(()),
        Some(b'Z' | b'z') => &text[1..],
        Some(&sign @ (b'+' | b'-')) => {
            let hours = digits(&text[1..], 2, 0, 14)?;
            if text.get(3) != Some(&b':') {
                return None;
            }
            let minutes = digits(&text[4..], 2, 0, 59)?;
            let total = hours * 60 + minutes;
            p.tz_minutes = if sign == b'-' { -total } else { total };
            &text[6..]
        }
        Some(_) => return None,
    };
    skip_spaces(rest).is_empty().then_some(())
}

/// `HH:MM[:SS[.fff]]` then a timezone.
fn parse_hh_mm_ss(text: &[u8], p: &mut DateTime) -> Option<()> {
    let hour = digits(text, 2, 0, 24)?;
    if text.get(2) != Some(&b':') {
        return None;
    }
    let minute = digits(&text[3..], 2, 0, 59)?;
    let mut rest = &text[5..];
    let mut seconds = 0.0;
    if rest.first() == Some(&b':') {
        seconds = digits(&rest[1..], 2, 0, 59)? as f64;
        rest = &rest[3..];
        if rest.first() == Some(&b'.') && rest.get(1).is_some_and(u8::is_ascii_digit) {
            let (mut fraction, mut scale) = (0.0, 1.0);
            rest = &rest[1..];
            while let Some(digit) = rest.first().filter(|byte| byte.is_ascii_digit()) {
                fraction = fraction * 10.0 + f64::from(digit - b'0');
                scale *= 10.0;
                rest = &rest[1..];
            }
            // Truncated below the next second, as SQLite does (no rounding up past it).
            seconds += (fraction / scale).min(0.999);
        }
    }
    // 24:00 (exactly) is the midnight that ends a day.
    if hour == 24 && (minute != 0 || seconds != 0.0) {
        return None;
    }
    p.valid_jd = false;
    p.raw_number = false;
    p.valid_hms = true;
    (p.hour, p.minute, p.seconds) = (hour, minute, seconds);
    parse_timezone(rest, p)?;
    p.valid_tz = p.tz_minutes != 0;
    Some(())
}

/// The days of month `month` (1-12) of `year` in the Gregorian calendar.
fn days_of_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `[-]YYYY-MM-DD` optionally followed (after spaces or `T`) by a time.
fn parse_yyyy_mm_dd(text: &[u8], p: &mut DateTime) -> Option<()> {
    let (negative, text) = match text.first() {
        Some(b'-') => (true, &text[1..]),
        _ => (false, text),
    };
    let year = digits(text, 4, 0, 9999)?;
    if text.get(4) != Some(&b'-') {
        return None;
    }
    let month = digits(&text[5..], 2, 1, 12)?;
    if text.get(7) != Some(&b'-') {
        return None;
    }
    let mut day = digits(&text[8..], 2, 1, 31)?;
    let (mut year, mut month) = (year, month);
    let mut rest = &text[10..];
    while rest
        .first()
        .is_some_and(|byte| byte.is_ascii_whitespace() || *byte == b'T')
    {
        rest = &rest[1..];
    }
    if parse_hh_mm_ss(rest, p).is_some() {
        if p.hour == 24 {
            // Midnight at the end of the day: 00:00 of the next one (carried as SQLite
            // carries it, on the year's digits before its sign).
            p.hour = 0;
            day += 1;
            let days = days_of_month(year, month);
            if day > days {
                day -= days;
                month += 1;
                if month > 12 {
                    month = 1;
                    year += 1;
                }
            }
        }
    } else {
        if !rest.is_empty() {
            return None;
        }
        p.valid_hms = false;
    }
    p.valid_jd = false;
    p.valid_ymd = true;
    (p.year, p.month, p.day) = (if negative { -year } else { year }, month, day);
    if p.valid_tz {
        p.compute_jd();
    }
    Some(())
}

/// A number in its entirety (SQLite's sqlite3AtoF returning "pure number").
/// The longest modifier lowercased on the stack (`ascii_lowercase`); longer ones (rare:
/// the longest SQLite knows is 19 bytes) are lowercased into a new text.
const MODIFIER_ON_STACK_BYTES: usize = 32;

/// `text` with its ASCII letters lowercased: itself when it has no uppercase letter (the
/// common modifier), else in `buffer` when it fits.
fn ascii_lowercase<'b>(text: &'b str, buffer: &'b mut [u8]) -> Cow<'b, str> {
    if !text.bytes().any(|byte| byte.is_ascii_uppercase()) {
        return Cow::Borrowed(text);
    }
    let Some(on_stack) = buffer.get_mut(..text.len()) else {
        return Cow::Owned(text.to_ascii_lowercase());
    };
    on_stack.copy_from_slice(text.as_bytes());
    on_stack.make_ascii_lowercase();
    // Lowercasing ASCII letters keeps the text UTF-8.
    match std::str::from_utf8(on_stack) {
        Ok(lower) => Cow::Borrowed(lower),
        Err(_) => Cow::Owned(text.to_ascii_lowercase()),
    }
}

/// The digits most read as an integer by `whole_number` (below 2^53: exact as a REAL).
const WHOLE_DIGITS_MAX: usize = 15;

fn whole_number(text: &str) -> Option<f64> {
    // Text that starts and ends with a visible ASCII character has nothing to trim.
    let visible = |byte: Option<&u8>| byte.is_some_and(|&b| b > b' ' && b < 0x7f);
    let trimmed = if visible(text.as_bytes().first()) && visible(text.as_bytes().last()) {
        text
    } else {
        text.trim()
    };
    let body = trimmed.strip_prefix(['+', '-']).unwrap_or(trimmed);
    if (1..=WHOLE_DIGITS_MAX).contains(&body.len()) && body.bytes().all(|b| b.is_ascii_digit()) {
        // Digits only: the integer they spell (what `parse::<f64>` gives for them).
        let magnitude = body
            .bytes()
            .fold(0i64, |value, digit| value * 10 + i64::from(digit - b'0'));
        let magnitude = magnitude as f64;
        return Some(if trimmed.starts_with('-') {
            -magnitude
        } else {
            magnitude
        });
    }
    let valid = !body.is_empty()
        && body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
        && body.starts_with(|c: char| c.is_ascii_digit() || c == '.');
    if !valid {
        return None;
    }
    trimmed.parse::<f64>().ok().filter(|r| r.is_finite())
}

/// The longest time value text `parse_time_value` keeps parsed.
const KEPT_TIME_VALUE_BYTES_MAX: usize = 64;

/// A time value's text and what it parsed to (`None`: not a time value).
type KeptTimeValue = (Box<str>, Option<DateTime>);

thread_local! {
    /// The last time value text `parse_time_value` parsed on this thread, with its parse.
    static LAST_TIME_VALUE: RefCell<Option<KeptTimeValue>> = const { RefCell::new(None) };
}

/// `parse_date_or_time` of a fresh `DateTime`, shared: the last text parsed on this
/// thread (at most `KEPT_TIME_VALUE_BYTES_MAX` bytes) is kept with its parse, so a constant
/// time value given row after row (`date('2024-01-01', ...)`) is parsed once. 'now' is
/// never kept: it reads the clock per call.
fn parse_time_value(text: &str) -> Option<DateTime> {
    let kept = LAST_TIME_VALUE.with(|last| {
        let last = last.try_borrow().ok()?;
        match &*last {
            Some((kept, parsed)) if **kept == *text => Some(*parsed),
            _ => None,
        }
    });
    if let Some(parsed) = kept {
        return parsed;
    }
    let mut p = DateTime::default();
    let parsed = parse_date_or_time(text, &mut p).map(|()| p);
    if text.len() <= KEPT_TIME_VALUE_BYTES_MAX && !text.trim().eq_ignore_ascii_case("now") {
        LAST_TIME_VALUE.with(|last| {
            if let Ok(mut last) = last.try_borrow_mut() {
                *last = Some((text.into(), parsed));
            }
        });
    }
    parsed
}

fn parse_date_or_time(text: &str, p: &mut DateTime) -> Option<()> {
    let bytes = text.as_bytes();
    if parse_yyyy_mm_dd(bytes, p).is_some() {
        return Some(());
    }
    *p = DateTime::default();
    if parse_hh_mm_ss(bytes, p).is_some() {
        return Some(());
    }
    *p = DateTime::default();
    if text.eq_ignore_ascii_case("now") {
        p.set_now();
        return Some(());
    }
    p.set_raw_number(whole_number(text)?);
    Some(())
}

/// (name, limit, milliseconds per unit) of the '+N unit' modifiers, in SQLite's order.
const UNITS: [(&str, f64, f64); 6] = [
    ("second", 4.6427e14, 1.0),
    ("minute", 7.7379e12, 60.0),
    ("hour", 1.2897e11, 3600.0),
    ("day", 5_373_485.0, 86400.0),
    ("month", 176_546.0, 2_592_000.0),
    ("year", 14_713.0, 31_536_000.0),
];

/// Applies one modifier (`first`: the first of the call's) to `p`.
fn apply_modifier(modifier: &str, p: &mut DateTime, first: bool) -> Option<()> {
    let mut buffer = [0u8; MODIFIER_ON_STACK_BYTES];
    let lower = ascii_lowercase(modifier, &mut buffer);
    let lower: &str = &lower;
    match lower {
        "localtime" | "utc" => return Some(()),
        "subsec" | "subsecond" => {
            p.use_subsec = true;
            return Some(());
        }
        "floor" => {
            p.floor();
            return Some(());
        }
        "ceiling" => {
            p.ceiling();
            return Some(());
        }
        "auto" => return p.auto(first),
        "julianday" => return (p.valid_jd && p.raw_number).then(|| p.raw_number = false),
        "unixepoch" => {
            if !p.raw_number {
                return None;
            }
            let r = p.seconds * 1000.0 + UNIX_EPOCH_JD_MS as f64;
            if !(0.0..464_269_060_800_000.0).contains(&r) {
                return None;
            }
            p.clear_ymd_hms_tz();
            p.jd_ms = (r + 0.5) as i64;
            p.valid_jd = true;
            p.raw_number = false;
            return Some(());
        }
        _ => {}
    }
    if let Some(weekday) = lower.strip_prefix("weekday ") {
        let n = whole_number(weekday)?;
        if !(0.0..7.0).contains(&n) || n.fract() != 0.0 {
            return None;
        }
        p.compute_ymd_hms();
        p.valid_tz = false;
        p.valid_jd = false;
        p.compute_jd();
        let mut z = (p.jd_ms.saturating_add(129_600_000) / 86_400_000) % 7;
        if z > n as i64 {
            z -= 7;
        }
        p.jd_ms = p.jd_ms.saturating_add((n as i64 - z) * 86_400_000);
        p.clear_ymd_hms_tz();
        return Some(());
    }
    if let Some(unit) = lower.strip_prefix("start of ") {
        if !p.valid_jd && !p.valid_ymd && !p.valid_hms {
            return None;
        }
        p.compute_ymd();
        p.valid_hms = true;
        (p.hour, p.minute, p.seconds) = (0, 0, 0.0);
        p.raw_number = false;
        p.valid_tz = false;
        p.valid_jd = false;
        match unit {
            "month" => p.day = 1,
            "year" => (p.month, p.day) = (1, 1),
            "day" => {}
            _ => return None,
        }
        return Some(());
    }
    if !lower.starts_with(|c: char| c == '+' || c == '-' || c.is_ascii_digit()) {
        return None;
    }
    if calendar::is_date_shift(lower) {
        return calendar::shift_by_date(lower, p);
    }
    let number_end = lower[1..]
        .find(|c: char| c == ':' || c.is_ascii_whitespace())
        .map_or(lower.len(), |at| at + 1);
    let amount = whole_number(&lower[..number_end])?;
    if lower[number_end..].starts_with(':') {
        // (+|-)HH:MM[:SS.FFF] shifts the time.
        let time = lower.strip_prefix(['+', '-']).unwrap_or(lower);
        return calendar::shift_by_time(time.as_bytes(), lower.starts_with('-'), p);
    }
    let unit = lower[number_end..].trim_start();
    if unit.len() > 10 || unit.len() < 3 {
        return None;
    }
    let unit = unit.strip_suffix('s').unwrap_or(unit);
    p.compute_jd();
    p.floor_days = 0;
    let rounder = if amount < 0.0 { -0.5 } else { 0.5 };
    let index = match unit {
        "second" => 0,
        "minute" => 1,
        "hour" => 2,
        "day" => 3,
        "month" => 4,
        "year" => 5,
        _ => return None,
    };
    let (name, limit, unit_seconds) = UNITS[index];
    debug_assert_eq!(name, unit);
    if amount.abs().partial_cmp(&limit) != Some(std::cmp::Ordering::Less) {
        return None;
    }
    let mut amount = amount;
    if index == 4 {
        p.compute_ymd_hms();
        p.month += amount as i64;
        p.carry_months();
        p.valid_jd = false;
        amount -= amount.trunc();
    } else if index == 5 {
        p.compute_ymd_hms();
        p.year += amount as i64;
        p.note_floor();
        p.valid_jd = false;
        amount -= amount.trunc();
    }
    p.compute_jd();
    // Saturating: a chain of huge shifts must not overflow (the end result is then invalid).
    p.jd_ms = p
        .jd_ms
        .saturating_add((amount * 1000.0 * unit_seconds + rounder) as i64);
    p.clear_ymd_hms_tz();
    Some(())
}

/// SQLite's isDate(): the time value (`args[first]`) and its modifiers (the arguments
/// after it); `None` for NULL or invalid input.
fn read_date<A: Arguments + ?Sized>(args: &A, first: usize) -> Option<DateTime> {
    let mut p = DateTime::default();
    match args.at(first) {
        None => p.set_now(),
        Some(Value::Integer(i)) => p.set_raw_number(*i as f64),
        Some(Value::Real(r)) => p.set_raw_number(*r),
        Some(Value::Boolean(b)) => p.set_raw_number(f64::from(u8::from(*b))),
        Some(other) => p = parse_time_value(&text_of(other)?)?,
    }
    for at in first + 1..args.count() {
        let Some(modifier) = args.at(at) else {
            continue;
        };
        apply_modifier(&text_of(modifier)?, &mut p, at == first + 1)?;
        if p.error {
            return None;
        }
    }
    p.compute_jd();
    if p.error || !valid_julian_day(p.jd_ms) {
        return None;
    }
    // A date alone (no modifier) past its month's end names the day it runs over to, as
    // SQLite 3.54 normalizes it: 2024-02-30 is 2024-03-01 (its julian day already is).
    if args.count() == first + 1 && p.valid_ymd && p.day > 28 {
        debug_assert!(p.valid_jd);
        p.valid_ymd = false;
    }
    Some(p)
}

fn year_text(year: i64) -> String {
    let mut text = String::with_capacity(5);
    push_year(&mut text, year);
    text
}

/// Appends a year as SQLite writes it: four digits at least, a sign when negative.
fn push_year(out: &mut String, year: i64) {
    if year < 0 {
        out.push('-');
    }
    super::text::push_decimal(out, year.unsigned_abs(), 4);
}

/// Appends `YYYY-MM-DD`.
fn push_date(out: &mut String, p: &DateTime) {
    push_year(out, p.year);
    for part in [p.month, p.day] {
        out.push('-');
        super::text::push_decimal(out, part.unsigned_abs(), 2);
    }
}

/// Appends `HH:MM:SS` (whole seconds), or `HH:MM:SS.SSS` after 'subsec'.
fn push_time(out: &mut String, p: &DateTime) {
    // The seconds and milliseconds of the rounded milliseconds, as SQLite writes them.
    let (seconds, millis) = if p.use_subsec {
        let total = (p.seconds * 1000.0 + 0.5) as i64;
        (total / 1000 % 100, Some(total % 1000))
    } else {
        (p.seconds as i64, None)
    };
    for (position, part) in [p.hour, p.minute, seconds].into_iter().enumerate() {
        if position > 0 {
            out.push(':');
        }
        super::text::push_decimal(out, part.unsigned_abs(), 2);
    }
    if let Some(millis) = millis {
        out.push('.');
        super::text::push_decimal(out, millis.unsigned_abs(), 3);
    }
}

/// Evaluates a date/time function over its arguments (owned, or borrowed from the row by
/// a compiled call: `scalar.rs`).
pub(crate) fn call<A: Arguments + ?Sized>(function: DateFunction, args: &A) -> Value {
    let mut out = String::with_capacity(match function {
        DateFunction::Date => 10,
        DateFunction::Time => 8,
        DateFunction::DateTime => 19,
        _ => 0,
    });
    match call_into(function, args, &mut out) {
        Some(value) => value,
        None => Value::Text(out),
    }
}

/// `call`, its text written into `out` (cleared first): `None` with the text in `out`
/// (date, time, datetime, strftime), else the value (NULL, or julianday's and unixepoch's
/// numbers). A compiled call keeps `out` between rows (`Scalar::eval_into`).
pub(crate) fn call_into<A: Arguments + ?Sized>(
    function: DateFunction,
    args: &A,
    out: &mut String,
) -> Option<Value> {
    out.clear();
    if function == DateFunction::TimeDiff {
        return time_diff(args, out);
    }
    let (format, first) = match function {
        DateFunction::Strftime => match args.at(0).map(text_of) {
            Some(Some(format)) => (Some(format), 1),
            _ => return Some(Value::Null),
        },
        _ => (None, 0),
    };
    let Some(mut p) = read_date(args, first) else {
        return Some(Value::Null);
    };
    match function {
        DateFunction::JulianDay => return Some(Value::Real(p.jd_ms as f64 / 86_400_000.0)),
        DateFunction::UnixEpoch if p.use_subsec => {
            return Some(Value::Real((p.jd_ms - UNIX_EPOCH_JD_MS) as f64 / 1000.0))
        }
        DateFunction::UnixEpoch => {
            return Some(Value::Integer(
                (p.jd_ms - UNIX_EPOCH_JD_MS).div_euclid(1000),
            ))
        }
        DateFunction::Date => {
            p.compute_ymd();
            push_date(out, &p);
        }
        DateFunction::Time => {
            p.compute_hms();
            push_time(out, &p);
        }
        DateFunction::DateTime => {
            p.compute_ymd_hms();
            push_date(out, &p);
            out.push(' ');
            push_time(out, &p);
        }
        DateFunction::TimeDiff => return Some(Value::Null),
        DateFunction::Strftime => {
            if strftime(format.as_deref().unwrap_or(""), p, out).is_none() {
                return Some(Value::Null);
            }
        }
    }
    None
}

#[path = "datetime_strftime.rs"]
mod strftime;
use strftime::strftime;

#[path = "datetime_calendar.rs"]
mod calendar;

#[path = "datetime_timediff.rs"]
mod timediff;
use timediff::time_diff;

#[cfg(test)]
#[path = "datetime_tests.rs"]
mod tests;
