//! REAL to TEXT against the bundled SQLite, value by value: `CAST(x AS TEXT)` (SQLite's
//! `%!.17g` with its round-trip shortening) and `printf('%!.15g', x)`, over random bit
//! patterns, ratios of small integers (1/9, 2/3, ...: where SQLite's digits are not the
//! correctly rounded ones) and short decimals.

use ember_storage::value::{format_real, format_real_15};

/// A xorshift stream, fixed seed.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

fn sample_values(count: usize) -> Vec<f64> {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut values = Vec::with_capacity(count);
    while values.len() < count {
        let bits = next(&mut state);
        let value = match bits % 3 {
            0 => f64::from_bits(next(&mut state)),
            1 => (next(&mut state) % 10_000) as f64 / (1 + next(&mut state) % 997) as f64,
            _ => (next(&mut state) % 100_000_000) as f64 / 10f64.powi((bits >> 8) as i32 % 12),
        };
        if value.is_finite() && value != 0.0 {
            values.push(if bits & 1 << 40 == 0 { value } else { -value });
        }
    }
    values
}

#[test]
fn reals_render_as_the_bundled_sqlite_renders_them() {
    let sqlite = rusqlite::Connection::open_in_memory().expect("open SQLite");
    let mut statement = sqlite
        .prepare("SELECT CAST(?1 AS TEXT), printf('%!.15g', ?1)")
        .expect("prepare");
    let mut differences = Vec::new();
    for value in sample_values(30_000) {
        let (full, short): (String, String) = statement
            .query_row([value], |row| Ok((row.get(0)?, row.get(1)?)))
            .expect("query");
        if format_real(value) != full || format_real_15(value) != short {
            differences.push(format!(
                "{value:e}: ember {} / {}, SQLite {full} / {short}",
                format_real(value),
                format_real_15(value)
            ));
        }
    }
    assert!(
        differences.is_empty(),
        "{} of 30000 differ, e.g.:\n{}",
        differences.len(),
        differences[..differences.len().min(10)].join("\n")
    );
}
