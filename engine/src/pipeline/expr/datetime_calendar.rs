//! The date modifiers that shift by calendar parts, or settle where such a shift lands, as
//! SQLite's date.c has them: `(+|-)YYYY-MM-DD[ HH:MM[:SS[.FFF]]]` adds (or takes away)
//! years, months and days, then a time; `floor` moves a date that a shift by months or years
//! left past its month's end (2024-02-31) back to that month's last day, where `ceiling`
//! (the default) keeps it rolled over into the next month; `auto`, as the first modifier,
//! reads a number as a Julian day or as unix time by its size. Also the `(+|-)HH:MM[:SS]`
//! time shift both forms share.

use super::{days_of_month, digits, parse_hh_mm_ss, DateTime, UNIX_EPOCH_JD_MS};

/// Milliseconds of a day.
const DAY_MS: i64 = 86_400_000;

impl DateTime {
    /// After `month` was shifted past 1..=12: the whole years carried into `year`, then the
    /// days past the month's end noted for `floor` (`note_floor`).
    pub(super) fn carry_months(&mut self) {
        let carry = if self.month > 0 {
            (self.month - 1) / 12
        } else {
            (self.month - 12) / 12
        };
        self.year += carry;
        self.month -= carry * 12;
        self.note_floor();
    }

    /// After a shift by months or years: the days the date runs past its month's end, which
    /// `floor` takes back (SQLite's computeFloor).
    pub(super) fn note_floor(&mut self) {
        debug_assert!(
            (1..=12).contains(&self.month),
            "the month was carried into range"
        );
        self.floor_days = if self.day <= 28 {
            0
        } else {
            (self.day - days_of_month(self.year, self.month)).max(0)
        };
    }

    /// `floor`: back by the days the last shift by months or years ran past its month.
    pub(super) fn floor(&mut self) {
        self.compute_jd();
        self.jd_ms = self.jd_ms.saturating_sub(self.floor_days * DAY_MS);
        self.clear_ymd_hms_tz();
    }

    /// `ceiling`: the date as the shift left it, rolled over into the next month.
    pub(super) fn ceiling(&mut self) {
        self.compute_jd();
        self.clear_ymd_hms_tz();
        self.floor_days = 0;
    }

    /// `auto` (`first`: it is the first modifier, the only place SQLite takes it): a number
    /// in the Julian day range stays a Julian day, a larger (or negative) one is unix time;
    /// a text time value is left as it is.
    pub(super) fn auto(&mut self, first: bool) -> Option<()> {
        if !first {
            return None;
        }
        if !self.raw_number || self.valid_jd {
            self.raw_number = false;
            return Some(());
        }
        // -4713-11-24 12:00:00 to 9999-12-31 23:59:59, in unix seconds.
        if !(-210_866_760_000.0..=253_402_300_799.0).contains(&self.seconds) {
            return None;
        }
        let r = self.seconds * 1000.0 + UNIX_EPOCH_JD_MS as f64;
        self.clear_ymd_hms_tz();
        self.jd_ms = (r + 0.5) as i64;
        self.valid_jd = true;
        self.raw_number = false;
        Some(())
    }
}

/// Whether `modifier` (lower case) has the form of a shift by calendar parts: a sign, then
/// four or five digits of years and a `-`.
pub(super) fn is_date_shift(modifier: &str) -> bool {
    let bytes = modifier.as_bytes();
    let years = bytes
        .iter()
        .skip(1)
        .take_while(|byte| byte.is_ascii_digit())
        .count();
    matches!(bytes.first(), Some(b'+' | b'-'))
        && (years == 4 || years == 5)
        && bytes.get(1 + years) == Some(&b'-')
}

/// Applies `(+|-)YYYY-MM-DD[ HH:MM[:SS[.FFF]]]` (`is_date_shift` said it has the form):
/// months 0 to 11, days 0 to 30. `None` for any other text.
pub(super) fn shift_by_date(modifier: &str, p: &mut DateTime) -> Option<()> {
    debug_assert!(is_date_shift(modifier));
    let bytes = modifier.as_bytes();
    let negative = bytes[0] == b'-';
    let year_digits = if bytes.get(5) == Some(&b'-') { 4 } else { 5 };
    let years = digits(&bytes[1..], year_digits, 0, 14_712)?;
    let rest = &bytes[1 + year_digits..];
    let months = digits(rest.get(1..)?, 2, 0, 11)?;
    if rest.get(3) != Some(&b'-') {
        return None;
    }
    let days = digits(rest.get(4..)?, 2, 0, 30)?;
    let time = match rest.get(6..)? {
        [] => None,
        [space, time @ ..] if space.is_ascii_whitespace() => Some(time),
        _ => return None,
    };
    let sign = if negative { -1 } else { 1 };
    p.compute_ymd_hms();
    p.valid_jd = false;
    p.year += sign * years;
    p.month += sign * months;
    p.carry_months();
    p.compute_jd();
    p.valid_hms = false;
    p.valid_ymd = false;
    p.jd_ms = p.jd_ms.saturating_add(sign * days * DAY_MS);
    match time {
        Some(time) => shift_by_time(time, negative, p),
        None => Some(()),
    }
}

/// Adds (`negative`: takes away) the time `HH:MM[:SS[.FFF]]` of `time` to `p`.
pub(super) fn shift_by_time(time: &[u8], negative: bool, p: &mut DateTime) -> Option<()> {
    let mut shift = DateTime::default();
    parse_hh_mm_ss(time, &mut shift)?;
    shift.compute_jd();
    let mut millis = shift.jd_ms - 43_200_000;
    millis -= (millis / DAY_MS) * DAY_MS;
    if negative {
        millis = -millis;
    }
    p.compute_jd();
    p.clear_ymd_hms_tz();
    p.jd_ms = p.jd_ms.saturating_add(millis);
    Some(())
}
