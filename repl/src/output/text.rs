//! The plain-text modes: list and tsv (separated values), csv (RFC 4180 quoting), json (an
//! array of objects, as sqlite3's `.mode json`), line (`name = value`, one per line), column
//! (left-aligned columns under a dashed rule), html (table rows) and ascii (sqlite3's unit and
//! record separators, 0x1F and 0x1E).

use std::io::{self, Write};

use ember::Value;
use unicode_width::UnicodeWidthStr;

use super::Settings;

pub fn write_separated(
    out: &mut dyn Write,
    settings: &Settings,
    columns: &[String],
    rows: &[Vec<Value>],
    separator: &str,
) -> io::Result<()> {
    if settings.headers {
        writeln!(out, "{}", columns.join(separator))?;
    }
    for row in rows {
        let cells: Vec<String> = row.iter().map(|value| settings.cell(value)).collect();
        writeln!(out, "{}", cells.join(separator))?;
    }
    Ok(())
}

/// Quotes a CSV field when it holds a separator, quote, line break or edge spaces.
fn csv_field(text: &str) -> String {
    let needs_quotes =
        text.contains([',', '"', '\n', '\r']) || text.starts_with(' ') || text.ends_with(' ');
    if needs_quotes {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

pub fn write_csv(
    out: &mut dyn Write,
    settings: &Settings,
    columns: &[String],
    rows: &[Vec<Value>],
) -> io::Result<()> {
    if settings.headers {
        let header: Vec<String> = columns.iter().map(|name| csv_field(name)).collect();
        write!(out, "{}\r\n", header.join(","))?;
    }
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .map(|value| csv_field(&settings.cell(value)))
            .collect();
        write!(out, "{}\r\n", cells.join(","))?;
    }
    Ok(())
}

/// A JSON string literal.
pub fn json_string(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for ch in text.chars() {
        match ch {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\r' => quoted.push_str("\\r"),
            '\t' => quoted.push_str("\\t"),
            c if (c as u32) < 0x20 => quoted.push_str(&format!("\\u{:04x}", c as u32)),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

fn json_value(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Integer(i) => i.to_string(),
        Value::Real(r) if r.is_finite() => value.to_string(),
        Value::Real(_) => "null".to_string(),
        Value::Boolean(b) => b.to_string(),
        Value::Text(text) => json_string(text),
        Value::Blob(bytes) => json_string(&String::from_utf8_lossy(bytes)),
    }
}

pub fn write_json(out: &mut dyn Write, columns: &[String], rows: &[Vec<Value>]) -> io::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    for (index, row) in rows.iter().enumerate() {
        out.write_all(if index == 0 { b"[" } else { b",\n" })?;
        let fields: Vec<String> = columns
            .iter()
            .zip(row)
            .map(|(name, value)| format!("{}:{}", json_string(name), json_value(value)))
            .collect();
        write!(out, "{{{}}}", fields.join(","))?;
    }
    out.write_all(b"]\n")
}

pub fn write_line(
    out: &mut dyn Write,
    settings: &Settings,
    columns: &[String],
    rows: &[Vec<Value>],
) -> io::Result<()> {
    let name_width = columns
        .iter()
        .map(|name| name.chars().count())
        .max()
        .unwrap_or(0);
    for (index, row) in rows.iter().enumerate() {
        if index > 0 {
            out.write_all(b"\n")?;
        }
        for (name, value) in columns.iter().zip(row) {
            writeln!(out, "{name:>name_width$} = {}", settings.cell(value))?;
        }
    }
    Ok(())
}

/// Column mode: every column as wide as its widest cell or name, cells left-aligned and
/// padded, two spaces between columns, a rule of dashes under the names (sqlite3's
/// `.mode column`).
pub fn write_column(
    out: &mut dyn Write,
    settings: &Settings,
    columns: &[String],
    rows: &[Vec<Value>],
) -> io::Result<()> {
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|row| row.iter().map(|value| settings.cell(value)).collect())
        .collect();
    let widths: Vec<usize> = (0..columns.len())
        .map(|index| {
            body.iter()
                .map(|cells| cells[index].width())
                .chain(settings.headers.then(|| columns[index].width()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[String]| -> String {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(cell, &width)| {
                format!("{cell}{}", " ".repeat(width.saturating_sub(cell.width())))
            })
            .collect();
        padded.join("  ")
    };
    if settings.headers {
        writeln!(out, "{}", line(columns))?;
        let rules: Vec<String> = widths.iter().map(|&width| "-".repeat(width)).collect();
        writeln!(out, "{}", rules.join("  "))?;
    }
    for cells in &body {
        writeln!(out, "{}", line(cells))?;
    }
    Ok(())
}

/// Text with the characters HTML gives meaning to escaped, as sqlite3's html mode does.
fn html_escaped(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '&' => escaped.push_str("&amp;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// Html mode: one `<TR>` per row, `<TH>` cells for the names when headers are on.
pub fn write_html(
    out: &mut dyn Write,
    settings: &Settings,
    columns: &[String],
    rows: &[Vec<Value>],
) -> io::Result<()> {
    if settings.headers {
        out.write_all(b"<TR>")?;
        for name in columns {
            writeln!(out, "<TH>{}</TH>", html_escaped(name))?;
        }
        out.write_all(b"</TR>\n")?;
    }
    for row in rows {
        out.write_all(b"<TR>")?;
        for value in row {
            writeln!(out, "<TD>{}</TD>", html_escaped(&settings.cell(value)))?;
        }
        out.write_all(b"</TR>\n")?;
    }
    Ok(())
}

/// Ascii mode: cells separated by 0x1F (unit separator), rows ended by 0x1E (record
/// separator).
pub fn write_ascii(
    out: &mut dyn Write,
    settings: &Settings,
    columns: &[String],
    rows: &[Vec<Value>],
) -> io::Result<()> {
    if settings.headers {
        write!(out, "{}\x1e", columns.join("\x1f"))?;
    }
    for row in rows {
        let cells: Vec<String> = row.iter().map(|value| settings.cell(value)).collect();
        write!(out, "{}\x1e", cells.join("\x1f"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::tests::render;
    use super::super::Mode;
    use ember::Value;

    fn rows() -> Vec<Vec<Value>> {
        vec![
            vec![Value::Integer(1), Value::Text("a, \"b\"".into())],
            vec![Value::Integer(2), Value::Null],
        ]
    }

    #[test]
    fn csv_quotes_when_needed() {
        assert_eq!(
            render(Mode::Csv, true, &rows()),
            "id,name\r\n1,\"a, \"\"b\"\"\"\r\n2,\r\n"
        );
    }

    #[test]
    fn json_is_an_array_of_objects() {
        assert_eq!(
            render(Mode::Json, false, &rows()),
            "[{\"id\":1,\"name\":\"a, \\\"b\\\"\"},\n{\"id\":2,\"name\":null}]\n"
        );
    }

    #[test]
    fn line_mode_aligns_names() {
        assert_eq!(
            render(Mode::Line, false, &rows()),
            "  id = 1\nname = a, \"b\"\n\n  id = 2\nname = \n"
        );
    }

    #[test]
    fn tsv_uses_tabs() {
        assert_eq!(render(Mode::Tsv, true, &rows()[1..]), "id\tname\n2\t\n");
    }

    #[test]
    fn column_mode_pads_left_aligned_cells_under_a_rule() {
        let rows = vec![
            vec![Value::Integer(1), Value::Text("ab'c".into())],
            vec![Value::Integer(22), Value::Null],
        ];
        assert_eq!(
            render(Mode::Column, true, &rows),
            "id  name\n--  ----\n1   ab'c\n22      \n"
        );
        assert_eq!(render(Mode::Column, false, &rows), "1   ab'c\n22      \n");
    }

    #[test]
    fn html_mode_escapes_and_marks_names() {
        let rows = vec![vec![Value::Integer(1), Value::Text("<a&'b\">".into())]];
        assert_eq!(
            render(Mode::Html, true, &rows),
            "<TR><TH>id</TH>\n<TH>name</TH>\n</TR>\n\
             <TR><TD>1</TD>\n<TD>&lt;a&amp;&#39;b&quot;&gt;</TD>\n</TR>\n"
        );
    }

    #[test]
    fn ascii_mode_uses_unit_and_record_separators() {
        assert_eq!(
            render(Mode::Ascii, true, &rows()),
            "id\x1fname\x1e1\x1fa, \"b\"\x1e2\x1f\x1e"
        );
    }
}
