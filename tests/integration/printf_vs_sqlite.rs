//! printf()/format() real conversions (`%f %e %E %g %G` with every precision 0..=20 and
//! beyond, widths, the flags `- + space 0 # , !` in any order) against rusqlite's bundled
//! SQLite over many doubles: halves at few decimals, random bit patterns, every scale, huge
//! and subnormal values, zeros of both signs and infinities. The text must match byte for
//! byte.

use ember::{Database, Value};

/// A double of one of many shapes.
fn random_value(rng: &mut fastrand::Rng) -> f64 {
    match rng.u8(0..10) {
        0 => rng.i64(-1_000_000..1_000_000) as f64 / 10f64.powi(rng.i32(1..=6)),
        1 => (rng.f64() - 0.5) * 10f64.powi(rng.i32(-25..=25)),
        2 => f64::from_bits(rng.u64(..)),
        3 => rng.i64(-100_000..100_000) as f64 / 8.0 + 0.005,
        4 => rng.i64(..) as f64 / 1e3,
        5 => rng.i64(-1_000_000..1_000_000) as f64 / 1000.0 + 0.0005,
        6 => f64::from_bits(rng.u64(1..1 << 52)),
        7 => [
            0.0,
            -0.0,
            0.25,
            -0.25,
            0.5,
            1.5,
            2.5,
            0.125,
            2.675,
            1e300,
            -1e-300,
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
            f64::INFINITY,
            f64::NEG_INFINITY,
            9.5,
            99.5,
            999_999.5,
            0.000_099_95,
            49.47,
            1e16,
            123_456_789_012_345_680.0,
        ][rng.usize(0..23)],
        8 => rng.i64(-100_000..100_000) as f64,
        _ => rng.f64(),
    }
}

/// A real conversion with random flags, width and precision.
fn random_format(rng: &mut fastrand::Rng) -> String {
    let mut format = String::from("%");
    for _ in 0..rng.usize(0..3) {
        format.push([b'-', b'+', b' ', b'0', b'#', b',', b'!'][rng.usize(0..7)] as char);
    }
    if rng.bool() {
        format.push_str(&rng.u32(1..=30).to_string());
    }
    match rng.u8(0..10) {
        0..=6 => format.push_str(&format!(".{}", rng.u32(0..=20))),
        7 => format.push_str(&format!(".{}", rng.u32(21..=60))),
        8 => format.push('.'),
        _ => {}
    }
    format.push(['f', 'e', 'E', 'g', 'G'][rng.usize(0..5)]);
    format
}

fn ours_text(ours: &ember::Connection, sql: &str, format: &str, x: f64) -> String {
    match &ours.query(sql, (format, x)).unwrap().values()[0][0] {
        Value::Text(text) => text.clone(),
        other => panic!("{sql} ({format:?}, {x:?}) gave {other:?}"),
    }
}

/// Random formats over random doubles, through printf() and format().
#[test]
fn real_conversions_match_sqlite_byte_for_byte() {
    let ours = Database::in_memory().connect();
    let theirs = rusqlite::Connection::open_in_memory().unwrap();
    let mut rng = fastrand::Rng::with_seed(3541);
    for round in 0..40_000 {
        let x = random_value(&mut rng);
        if x.is_nan() {
            continue;
        }
        let format = random_format(&mut rng);
        let sql = if round % 2 == 0 {
            "SELECT printf(?1, ?2)"
        } else {
            "SELECT format(?1, ?2)"
        };
        let want: String = theirs
            .query_row(sql, rusqlite::params![format, x], |row| row.get(0))
            .unwrap();
        let got = ours_text(&ours, sql, &format, x);
        assert_eq!(got, want, "{sql} with ({format:?}, {x:?})");
    }
}

/// Every precision 0..=20 of `%.Nf %.Ne %.Ng` (and `!` forms) over halves and long
/// expansions, where ties and the 16-digit limit decide the last digit.
#[test]
fn every_precision_matches_sqlite() {
    let ours = Database::in_memory().connect();
    let theirs = rusqlite::Connection::open_in_memory().unwrap();
    let mut rng = fastrand::Rng::with_seed(16);
    let mut values = vec![
        0.25,
        0.35,
        2.675,
        1.005,
        0.1,
        1.0 / 3.0,
        123.456,
        1e22,
        1e-7,
    ];
    values.extend((0..200).map(|_| random_value(&mut rng)));
    let sql = "SELECT printf(?1, ?2)";
    for &x in values.iter().filter(|x| !x.is_nan()) {
        for precision in 0..=20 {
            for conversion in ["f", "e", "g", "!f", "!e", "!g", "#g", ",f"] {
                let (flag, letter) = conversion.split_at(conversion.len() - 1);
                let format = format!("%{flag}.{precision}{letter}");
                let want: String = theirs
                    .query_row(sql, rusqlite::params![format, x], |row| row.get(0))
                    .unwrap();
                let got = ours_text(&ours, sql, &format, x);
                assert_eq!(got, want, "printf({format:?}, {x:?})");
            }
        }
    }
}

/// Fixed cases spelled out (and checked against SQLite too): ties round half up, the sign
/// of zero, the 16 and 20 digit limits, infinities, `!` and `,`.
#[test]
fn real_conversion_examples() {
    let ours = Database::in_memory().connect();
    let cases: [(&str, f64, &str); 14] = [
        ("%.1f", 0.25, "0.3"),
        ("%.2f", 0.125, "0.13"),
        ("%.0f", 0.5, "1"),
        ("%.0f", 2.5, "3"),
        ("%f", -0.0, "0.000000"),
        ("%.2f", -0.001, "-0.00"),
        ("%#.2f", -0.001, "0.00"),
        ("%.20f", 0.1, "0.10000000000000000000"),
        ("%!.20f", 0.1, "0.1000000000000000056"),
        ("%e", f64::INFINITY, "Inf"),
        ("%+f", f64::INFINITY, "+Inf"),
        ("%6.1f", f64::NEG_INFINITY, "  -Inf"),
        ("%!g", 100.0, "100.0"),
        ("%,.1f", 1_234_567.25, "1,234,567.3"),
    ];
    let theirs = rusqlite::Connection::open_in_memory().unwrap();
    for (format, x, want) in cases {
        let sqlite: String = theirs
            .query_row(
                "SELECT printf(?1, ?2)",
                rusqlite::params![format, x],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(sqlite, want, "SQLite's printf({format:?}, {x:?})");
        let got = ours_text(&ours, "SELECT printf(?1, ?2)", format, x);
        assert_eq!(got, want, "printf({format:?}, {x:?})");
    }
}

/// Widths and precisions from `*` (read as a C int, negative width aligning left), and the
/// sign flags `+` and ` ` (the later one wins), on integer and real conversions.
#[test]
fn star_counts_and_sign_flags_match_sqlite() {
    let ours = Database::in_memory().connect();
    let theirs = rusqlite::Connection::open_in_memory().unwrap();
    let cases: [(&str, i64, f64); 10] = [
        ("%+ d|%+ f", 0, 7.0),
        ("% +d|% +e", 0, -7.5),
        ("%*d|%.1f", 4_294_967_301, 0.05),
        ("%*d|%.1f", -6, 0.15),
        ("%.*f|%d", 3, 2.0005),
        ("%.*f|%d", -3, 2.0005),
        ("%.*f|%d", 4_294_967_298, 2.0005),
        ("%0*.2f|%d", 9, -1.125),
        ("%-*g|%d", 9, 1e-5),
        ("%0+*.3e|%d", 14, 6.02214076e23),
    ];
    for (format, count, x) in cases {
        let sql = "SELECT printf(?1, ?2, ?3)";
        let want: String = theirs
            .query_row(sql, rusqlite::params![format, count, x], |row| row.get(0))
            .unwrap();
        let got = match &ours.query(sql, (format, count, x)).unwrap().values()[0][0] {
            Value::Text(text) => text.clone(),
            other => panic!("printf({format:?}, {count}, {x:?}) gave {other:?}"),
        };
        assert_eq!(got, want, "printf({format:?}, {count}, {x:?})");
    }
}
