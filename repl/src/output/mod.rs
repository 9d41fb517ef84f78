//! Result output: the display settings (`.mode`, `.headers`, `.nullvalue`) and the dispatch
//! to one writer per mode. Text modes (list, csv, tsv, json, line, column, html, ascii) live
//! in `text.rs`, the SQL-literal modes (quote, insert) in `quoted.rs`, the drawn grids (box,
//! table, markdown) in `grid.rs`.

mod grid;
mod quoted;
mod text;

use std::io::{self, Write};

use ember::Value;

/// How result rows are printed (sqlite3's `.mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    List,
    Csv,
    Tsv,
    Box,
    Table,
    Json,
    Line,
    Markdown,
    Column,
    Quote,
    /// `INSERT INTO <Settings::insert_table> VALUES(..);` per row.
    Insert,
    Html,
    Ascii,
}

impl Mode {
    pub const NAMES: [&'static str; 13] = [
        "list", "csv", "tsv", "box", "table", "json", "line", "markdown", "column", "quote",
        "insert", "html", "ascii",
    ];

    pub fn parse(name: &str) -> Option<Mode> {
        Some(match name.to_ascii_lowercase().as_str() {
            "list" => Mode::List,
            "csv" => Mode::Csv,
            "tsv" | "tabs" => Mode::Tsv,
            "box" => Mode::Box,
            "table" => Mode::Table,
            "json" => Mode::Json,
            "line" => Mode::Line,
            "markdown" => Mode::Markdown,
            "column" => Mode::Column,
            "quote" => Mode::Quote,
            "insert" => Mode::Insert,
            "html" => Mode::Html,
            "ascii" => Mode::Ascii,
            _ => return None,
        })
    }
}

/// Display settings shared by every mode.
#[derive(Clone, Debug)]
pub struct Settings {
    pub mode: Mode,
    pub headers: bool,
    /// Text shown for NULL (sqlite3's `.nullvalue`; empty by default).
    pub null_text: String,
    /// Width the grid modes fit into, in characters.
    pub width_chars: usize,
    /// Rows box and table modes print before a `... N more rows` line (`.maxrows`).
    pub max_rows: usize,
    /// `.width`: fixed widths of the first columns in the grid modes (0: automatic,
    /// negative: right-aligned).
    pub column_widths: Vec<i64>,
    /// The table insert mode writes into (`.mode insert TABLE`; sqlite3's default "table").
    pub insert_table: String,
}

/// The table name insert mode uses when `.mode insert` names none, as in sqlite3.
pub const DEFAULT_INSERT_TABLE: &str = "table";

/// Rows box and table modes show at a terminal unless `.maxrows` says otherwise.
pub const INTERACTIVE_ROWS_MAX: usize = 1_000;

impl Settings {
    /// sqlite3's defaults for scripts: list mode, no header, NULL empty.
    pub fn piped() -> Settings {
        Settings {
            mode: Mode::List,
            headers: false,
            null_text: String::new(),
            width_chars: usize::MAX,
            max_rows: usize::MAX,
            column_widths: Vec::new(),
            insert_table: DEFAULT_INSERT_TABLE.to_string(),
        }
    }

    /// Defaults for a person at a terminal: box mode fitted to the terminal width.
    pub fn interactive(width_chars: usize) -> Settings {
        Settings {
            mode: Mode::Box,
            headers: true,
            null_text: String::new(),
            width_chars,
            max_rows: INTERACTIVE_ROWS_MAX,
            column_widths: Vec::new(),
            insert_table: DEFAULT_INSERT_TABLE.to_string(),
        }
    }

    /// The text of one value in modes that print plain text.
    pub fn cell(&self, value: &Value) -> String {
        match value {
            Value::Null => self.null_text.clone(),
            Value::Blob(bytes) => blob_text(bytes),
            other => other.to_string(),
        }
    }

    /// The text of one value in the grid modes, where NULL must stand out from ''.
    pub fn grid_cell(&self, value: &Value) -> String {
        match value {
            Value::Null if self.null_text.is_empty() => "NULL".to_string(),
            Value::Real(real) if real.is_finite() => shortest_real(*real),
            other => self.cell(other),
        }
    }
}

/// The shortest text that reads back as `real`, in SQLite's shapes: always a `.` or an
/// exponent (`2.0`, `0.1`), exponent form below 1e-4 and from 1e15 (`1.0e+20`, `1.5e-07`).
pub fn shortest_real(real: f64) -> String {
    debug_assert!(real.is_finite());
    if real == 0.0 {
        return "0.0".to_string();
    }
    // Rust's `{:e}` is the shortest round-trip digits: `1.2345678901234568e17`, `1e20`.
    let scientific = format!("{real:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if (-4..15).contains(&exponent) {
        let plain = format!("{real}");
        return if plain.contains('.') {
            plain
        } else {
            format!("{plain}.0")
        };
    }
    let mantissa = if mantissa.contains('.') {
        mantissa.to_string()
    } else {
        format!("{mantissa}.0")
    };
    let sign = if exponent < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exponent.unsigned_abs())
}

/// A blob shown as sqlite3 shows one in every mode but json, quote and insert: its bytes read
/// as text, up to the first NUL byte (so no NUL ever reaches the terminal); bytes that are not
/// UTF-8 show as U+FFFD (sqlite3 writes them raw).
pub fn blob_text(bytes: &[u8]) -> String {
    let end = bytes
        .iter()
        .position(|&byte| byte == 0)
        .unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// Lower-case hex digits of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(text, "{byte:02x}");
    }
    text
}

/// Writes one statement's result in the current mode. Statements without columns print
/// nothing.
pub fn write_result(
    out: &mut dyn Write,
    settings: &Settings,
    columns: &[String],
    rows: &[Vec<Value>],
) -> io::Result<()> {
    if columns.is_empty() {
        return Ok(());
    }
    match settings.mode {
        Mode::List => text::write_separated(out, settings, columns, rows, "|"),
        Mode::Tsv => text::write_separated(out, settings, columns, rows, "\t"),
        Mode::Csv => text::write_csv(out, settings, columns, rows),
        Mode::Json => text::write_json(out, columns, rows),
        Mode::Line => text::write_line(out, settings, columns, rows),
        Mode::Box => {
            let (shown, hidden) = limit_rows(rows, settings.max_rows);
            grid::write_box(out, settings, columns, shown)?;
            write_hidden_rows(out, hidden)
        }
        Mode::Table => {
            let (shown, hidden) = limit_rows(rows, settings.max_rows);
            grid::write_table(out, settings, columns, shown)?;
            write_hidden_rows(out, hidden)
        }
        Mode::Markdown => grid::write_markdown(out, settings, columns, rows),
        Mode::Column => text::write_column(out, settings, columns, rows),
        Mode::Html => text::write_html(out, settings, columns, rows),
        Mode::Ascii => text::write_ascii(out, settings, columns, rows),
        Mode::Quote => quoted::write_quote(out, settings.headers, columns, rows),
        Mode::Insert => {
            quoted::write_insert(out, settings.headers, &settings.insert_table, columns, rows)
        }
    }
}

/// The rows to draw and how many are left out by the display limit.
fn limit_rows(rows: &[Vec<Value>], max_rows: usize) -> (&[Vec<Value>], usize) {
    let shown = rows.len().min(max_rows);
    (&rows[..shown], rows.len() - shown)
}

fn write_hidden_rows(out: &mut dyn Write, hidden: usize) -> io::Result<()> {
    match hidden {
        0 => Ok(()),
        1 => writeln!(out, "... 1 more row (.maxrows N to show more)"),
        n => writeln!(out, "... {n} more rows (.maxrows N to show more)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn render(mode: Mode, headers: bool, rows: &[Vec<Value>]) -> String {
        let settings = Settings {
            mode,
            headers,
            null_text: String::new(),
            width_chars: 80,
            max_rows: usize::MAX,
            column_widths: Vec::new(),
            insert_table: DEFAULT_INSERT_TABLE.to_string(),
        };
        let columns = vec!["id".to_string(), "name".to_string()];
        let mut out = Vec::new();
        write_result(&mut out, &settings, &columns, rows).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn list_mode_matches_sqlite() {
        let rows = vec![
            vec![Value::Integer(3), Value::Null],
            vec![Value::Integer(2), Value::Text("b".into())],
            vec![Value::Real(1.5), Value::Real(2.0)],
        ];
        assert_eq!(render(Mode::List, false, &rows), "3|\n2|b\n1.5|2.0\n");
        assert_eq!(render(Mode::List, true, &rows[..1]), "id|name\n3|\n");
    }

    #[test]
    fn box_and_table_stop_at_max_rows_and_list_does_not() {
        let rows: Vec<Vec<Value>> = (0..5)
            .map(|i| vec![Value::Integer(i), Value::Text("x".into())])
            .collect();
        let columns = vec!["id".to_string(), "name".to_string()];
        let mut settings = Settings::interactive(80);
        settings.max_rows = 2;
        let mut out = Vec::new();
        write_result(&mut out, &settings, &columns, &rows).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("│  1 │ x    │\n└"), "{text}");
        assert!(
            text.ends_with("... 3 more rows (.maxrows N to show more)\n"),
            "{text}"
        );
        settings.mode = Mode::List;
        let mut out = Vec::new();
        write_result(&mut out, &settings, &columns, &rows).unwrap();
        assert_eq!(String::from_utf8(out).unwrap().lines().count(), 6);
    }

    #[test]
    fn grid_reals_are_the_shortest_text_that_reads_back() {
        let cases = [
            (std::f64::consts::PI, "3.141592653589793"),
            (0.1, "0.1"),
            (2.0, "2.0"),
            (-2.5, "-2.5"),
            (100.0, "100.0"),
            (-0.0, "0.0"),
            (1e20, "1.0e+20"),
            (1.5e-7, "1.5e-07"),
            (0.0001, "0.0001"),
            (123456789012345678.0, "1.2345678901234568e+17"),
            (1e300, "1.0e+300"),
        ];
        for (real, text) in cases {
            assert_eq!(shortest_real(real), text);
            assert_eq!(text.parse::<f64>().unwrap(), real);
        }
        let settings = Settings::interactive(80);
        assert_eq!(
            settings.grid_cell(&Value::Real(0.1 + 0.2)),
            "0.30000000000000004"
        );
        assert_eq!(
            settings.cell(&Value::Real(std::f64::consts::PI)),
            "3.1415926535897931"
        );
    }

    #[test]
    fn blobs_print_as_text_up_to_the_first_nul_in_every_mode_but_json() {
        let rows = vec![vec![
            Value::Blob(b"a\0b".to_vec()),
            Value::Blob(vec![0xff, b'A']),
        ]];
        assert_eq!(render(Mode::List, false, &rows), "a|\u{fffd}A\n");
        assert_eq!(render(Mode::Tsv, false, &rows), "a\t\u{fffd}A\n");
        assert_eq!(render(Mode::Csv, false, &rows), "a,\u{fffd}A\r\n");
        assert_eq!(
            render(Mode::Line, false, &rows),
            "  id = a\nname = \u{fffd}A\n"
        );
        assert_eq!(
            render(Mode::Json, false, &rows),
            "[{\"id\":\"a\\u0000b\",\"name\":\"\u{fffd}A\"}]\n"
        );
        for mode in [Mode::Box, Mode::Table, Mode::Markdown] {
            let text = render(mode, true, &rows);
            assert!(!text.contains('\0'), "{mode:?}: {text:?}");
            assert!(text.contains(" a "), "{mode:?}: {text:?}");
        }
    }

    #[test]
    fn mode_names_round_trip() {
        for name in Mode::NAMES {
            assert!(Mode::parse(name).is_some(), "{name}");
        }
        assert_eq!(Mode::parse("BOX"), Some(Mode::Box));
        assert_eq!(Mode::parse("columns"), None);
    }
}
