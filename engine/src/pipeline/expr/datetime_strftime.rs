//! `strftime`'s conversions, as SQLite's date.c writes them: `%d %e %f %F %G %g %H %I %j %J
//! %k %l %m %M %p %P %R %s %S %T %u %U %V %w %W %Y %%`; any other is NULL.

use std::fmt::Write as _;

use super::{year_text, DateTime, UNIX_EPOCH_JD_MS};

const DAY_MS: i64 = 86_400_000;

/// Days from Monday (0) of the day `p` falls on.
fn days_after_monday(p: &DateTime) -> i64 {
    ((p.jd_ms + 43_200_000) / DAY_MS) % 7
}

/// Days from Sunday (0) of the day `p` falls on.
fn days_after_sunday(p: &DateTime) -> i64 {
    ((p.jd_ms + 129_600_000) / DAY_MS) % 7
}

/// Days from January 1st (0) of `p`'s year.
fn days_after_jan01(p: &DateTime) -> i64 {
    let mut start = *p;
    start.valid_jd = false;
    (start.month, start.day) = (1, 1);
    start.compute_jd();
    (p.jd_ms - start.jd_ms + 43_200_000) / DAY_MS
}

/// The Thursday of `p`'s ISO week (whose year is the ISO week's year), its date computed.
fn iso_week_thursday(p: &DateTime) -> DateTime {
    let mut thursday = *p;
    thursday.jd_ms += (3 - days_after_monday(p)) * DAY_MS;
    thursday.valid_ymd = false;
    thursday.compute_ymd();
    thursday
}

/// The hour on a 12-hour clock (1 to 12).
fn twelve_hour(hour: i64) -> i64 {
    match hour {
        0 => 12,
        13.. => hour - 12,
        _ => hour,
    }
}

/// Writes strftime's text into `out`; `None` (NULL) for an unknown conversion.
pub(super) fn strftime(format: &str, mut p: DateTime, out: &mut String) -> Option<()> {
    p.compute_ymd_hms();
    debug_assert!(p.valid_jd || p.error);
    out.reserve(format.len() + 8);
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let _ = match chars.next() {
            Some('d') => write!(out, "{:02}", p.day),
            Some('e') => write!(out, "{:2}", p.day),
            Some('f') => write!(out, "{:06.3}", p.seconds.min(59.999)),
            // C's `%04d`: a negative year's sign takes one of the four places.
            Some('F') => write!(out, "{:04}-{:02}-{:02}", p.year, p.month, p.day),
            Some('G') => write!(out, "{}", year_text(iso_week_thursday(&p).year)),
            Some('g') => write!(out, "{:02}", iso_week_thursday(&p).year.rem_euclid(100)),
            Some('H') => write!(out, "{:02}", p.hour),
            Some('k') => write!(out, "{:2}", p.hour),
            Some('I') => write!(out, "{:02}", twelve_hour(p.hour)),
            Some('l') => write!(out, "{:2}", twelve_hour(p.hour)),
            Some('j') => write!(out, "{:03}", days_after_jan01(&p) + 1),
            Some('J') => write!(out, "{}", format_g16(p.jd_ms as f64 / 86_400_000.0)),
            Some('m') => write!(out, "{:02}", p.month),
            Some('M') => write!(out, "{:02}", p.minute),
            Some('p') => write!(out, "{}", if p.hour >= 12 { "PM" } else { "AM" }),
            Some('P') => write!(out, "{}", if p.hour >= 12 { "pm" } else { "am" }),
            Some('R') => write!(out, "{:02}:{:02}", p.hour, p.minute),
            // After 'subsec', with its milliseconds.
            Some('s') if p.use_subsec => {
                write!(out, "{:.3}", (p.jd_ms - UNIX_EPOCH_JD_MS) as f64 / 1000.0)
            }
            Some('s') => write!(out, "{}", (p.jd_ms - UNIX_EPOCH_JD_MS).div_euclid(1000)),
            Some('S') => write!(out, "{:02}", p.seconds as i64),
            Some('T') => write!(out, "{:02}:{:02}:{:02}", p.hour, p.minute, p.seconds as i64),
            Some('u') => match days_after_sunday(&p) {
                0 => write!(out, "7"),
                weekday => write!(out, "{weekday}"),
            },
            Some('w') => write!(out, "{}", days_after_sunday(&p)),
            Some('U') => write!(
                out,
                "{:02}",
                (days_after_jan01(&p) - days_after_sunday(&p) + 7) / 7
            ),
            Some('V') => write!(
                out,
                "{:02}",
                days_after_jan01(&iso_week_thursday(&p)) / 7 + 1
            ),
            Some('W') => write!(
                out,
                "{:02}",
                (days_after_jan01(&p) - days_after_monday(&p) + 7) / 7
            ),
            Some('Y') => write!(out, "{}", year_text(p.year)),
            Some('%') => write!(out, "%"),
            _ => return None,
        };
    }
    Some(())
}

/// C's `%.16g` for the positive values Julian days are.
fn format_g16(r: f64) -> String {
    let integer_digits = if r >= 1.0 {
        r.log10().floor() as usize + 1
    } else {
        1
    };
    let decimals = 16usize.saturating_sub(integer_digits);
    let text = format!("{r:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}
