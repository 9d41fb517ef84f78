//! The drawn grids: box (Unicode lines, the interactive default), table (ASCII) and markdown.
//! Columns are aligned, numbers right-aligned, and wide columns shrink (cells cut with `…`)
//! so the grid fits the terminal width. Widths are display columns (`unicode-width`), so CJK
//! and emoji text, two columns per character, keeps the borders aligned.

use std::io::{self, Write};

use ember::Value;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::Settings;

/// Narrowest a column gets when shrinking to fit.
const COLUMN_CHARS_MIN: usize = 3;

/// The characters of one grid style: left, middle and right pieces of each rule.
struct Style {
    top: Option<[&'static str; 4]>,
    header_rule: [&'static str; 4],
    bottom: Option<[&'static str; 4]>,
    /// Left edge, column separator, right edge of a row.
    row: [&'static str; 3],
}

const BOX: Style = Style {
    top: Some(["┌", "┬", "┐", "─"]),
    header_rule: ["├", "┼", "┤", "─"],
    bottom: Some(["└", "┴", "┘", "─"]),
    row: ["│ ", " │ ", " │"],
};

const TABLE: Style = Style {
    top: Some(["+", "+", "+", "-"]),
    header_rule: ["+", "+", "+", "-"],
    bottom: Some(["+", "+", "+", "-"]),
    row: ["| ", " | ", " |"],
};

struct Grid {
    widths: Vec<usize>,
    right_aligned: Vec<bool>,
    header: Vec<String>,
    body: Vec<Vec<String>>,
}

/// One line of display text: control characters made visible so rows stay on one line.
fn printable(text: &str) -> String {
    text.chars()
        .map(|ch| match ch {
            '\n' | '\r' => '↵',
            '\t' => ' ',
            c if c.is_control() => '?',
            c => c,
        })
        .collect()
}

/// Terminal columns `text` takes.
fn columns_of(text: &str) -> usize {
    text.width()
}

/// `text` cut to at most `width` columns, ending in `…` when cut; a wide character that
/// would straddle the edge is left out whole.
fn truncate(text: &str, width: usize) -> String {
    if columns_of(text) <= width {
        return text.to_string();
    }
    let budget = width.saturating_sub(1);
    let mut cut = String::new();
    let mut used = 0;
    for ch in text.chars() {
        let ch_width = ch.width().unwrap_or(0);
        if used + ch_width > budget {
            break;
        }
        used += ch_width;
        cut.push(ch);
    }
    cut.push('…');
    debug_assert!(columns_of(&cut) <= width.max(1));
    cut
}

/// `cell` padded with spaces to `width` columns, on the right or on the left.
fn pad(cell: &str, width: usize, right_aligned: bool) -> String {
    let fill = " ".repeat(width.saturating_sub(columns_of(cell)));
    if right_aligned {
        format!("{fill}{cell}")
    } else {
        format!("{cell}{fill}")
    }
}

impl Grid {
    fn new(settings: &Settings, columns: &[String], rows: &[Vec<Value>], frame: usize) -> Grid {
        let header: Vec<String> = columns.iter().map(|name| printable(name)).collect();
        let body: Vec<Vec<String>> = rows
            .iter()
            .map(|row| {
                row.iter()
                    .map(|v| printable(&settings.grid_cell(v)))
                    .collect()
            })
            .collect();
        let mut widths: Vec<usize> = header.iter().map(|name| columns_of(name)).collect();
        for row in &body {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(columns_of(cell));
            }
        }
        // A column is numeric when every non-NULL value in it is a number.
        let mut right_aligned: Vec<bool> = (0..columns.len())
            .map(|index| {
                let mut values = rows.iter().filter_map(|row| row.get(index));
                let mut any_number = false;
                let all = values.all(|value| match value {
                    Value::Integer(_) | Value::Real(_) => {
                        any_number = true;
                        true
                    }
                    Value::Null => true,
                    _ => false,
                });
                all && any_number
            })
            .collect();
        // `.width`: a fixed width per column (0 keeps the automatic one), negative aligns right.
        for (index, fixed) in settings.column_widths.iter().enumerate().take(widths.len()) {
            if *fixed != 0 {
                widths[index] = usize::try_from(fixed.unsigned_abs()).unwrap_or(usize::MAX);
                right_aligned[index] = *fixed < 0;
            }
        }
        fit(&mut widths, settings.width_chars.saturating_sub(frame));
        Grid {
            widths,
            right_aligned,
            header,
            body,
        }
    }

    fn rule(&self, out: &mut dyn Write, pieces: [&str; 4]) -> io::Result<()> {
        let segments: Vec<String> = self
            .widths
            .iter()
            .map(|w| pieces[3].repeat(w + 2))
            .collect();
        writeln!(
            out,
            "{}{}{}",
            pieces[0],
            segments.join(pieces[1]),
            pieces[2]
        )
    }

    fn line(
        &self,
        out: &mut dyn Write,
        cells: &[String],
        edges: [&str; 3],
        header: bool,
    ) -> io::Result<()> {
        let padded: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(index, cell)| {
                let width = self.widths[index];
                pad(
                    &truncate(cell, width),
                    width,
                    self.right_aligned[index] && !header,
                )
            })
            .collect();
        writeln!(out, "{}{}{}", edges[0], padded.join(edges[1]), edges[2])
    }

    fn draw(&self, out: &mut dyn Write, style: &Style) -> io::Result<()> {
        if let Some(top) = style.top {
            self.rule(out, top)?;
        }
        self.line(out, &self.header, style.row, true)?;
        self.rule(out, style.header_rule)?;
        for row in &self.body {
            self.line(out, row, style.row, false)?;
        }
        if let Some(bottom) = style.bottom {
            self.rule(out, bottom)?;
        }
        Ok(())
    }
}

/// Shrinks the widest columns until the sum fits in `budget` (or all reach the minimum).
fn fit(widths: &mut [usize], budget: usize) {
    let minimum_total = widths.len() * COLUMN_CHARS_MIN;
    let budget = budget.max(minimum_total);
    for width in widths.iter_mut() {
        *width = (*width).min(budget);
    }
    while widths.iter().sum::<usize>() > budget {
        let Some(widest) = widths.iter_mut().max() else {
            return;
        };
        if *widest <= COLUMN_CHARS_MIN {
            return;
        }
        *widest -= 1;
    }
}

/// Characters a grid of `columns` columns spends on borders and padding.
fn frame_chars(columns: usize) -> usize {
    3 * columns + 1
}

pub fn write_box(
    out: &mut dyn Write,
    settings: &Settings,
    columns: &[String],
    rows: &[Vec<Value>],
) -> io::Result<()> {
    Grid::new(settings, columns, rows, frame_chars(columns.len())).draw(out, &BOX)
}

pub fn write_table(
    out: &mut dyn Write,
    settings: &Settings,
    columns: &[String],
    rows: &[Vec<Value>],
) -> io::Result<()> {
    Grid::new(settings, columns, rows, frame_chars(columns.len())).draw(out, &TABLE)
}

pub fn write_markdown(
    out: &mut dyn Write,
    settings: &Settings,
    columns: &[String],
    rows: &[Vec<Value>],
) -> io::Result<()> {
    let grid = Grid::new(settings, columns, rows, frame_chars(columns.len()));
    let edges = ["| ", " | ", " |"];
    grid.line(out, &grid.header, edges, true)?;
    let rules: Vec<String> = grid
        .widths
        .iter()
        .zip(&grid.right_aligned)
        .map(|(width, right)| {
            if *right {
                format!("{}:", "-".repeat(width + 1))
            } else {
                "-".repeat(width + 2)
            }
        })
        .collect();
    writeln!(out, "|{}|", rules.join("|"))?;
    for row in &grid.body {
        grid.line(out, row, edges, false)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::tests::render;
    use super::super::{write_result, Mode, Settings};
    use super::*;

    #[test]
    fn box_aligns_numbers_right_and_shows_null() {
        let rows = vec![
            vec![Value::Integer(7), Value::Text("ada".into())],
            vec![Value::Integer(12345), Value::Null],
        ];
        let expected = "\
┌───────┬──────┐
│ id    │ name │
├───────┼──────┤
│     7 │ ada  │
│ 12345 │ NULL │
└───────┴──────┘
";
        assert_eq!(render(Mode::Box, false, &rows), expected);
    }

    #[test]
    fn table_and_markdown() {
        let rows = vec![vec![Value::Integer(1), Value::Text("x".into())]];
        assert_eq!(
            render(Mode::Table, false, &rows),
            "+----+------+\n| id | name |\n+----+------+\n|  1 | x    |\n+----+------+\n"
        );
        assert_eq!(
            render(Mode::Markdown, false, &rows),
            "| id | name |\n|---:|------|\n|  1 | x    |\n"
        );
    }

    #[test]
    fn cjk_and_emoji_keep_the_borders_aligned() {
        let rows = vec![
            vec![Value::Integer(1), Value::Text("東京".into())],
            vec![Value::Integer(2), Value::Text("🍣 sushi".into())],
            vec![Value::Integer(3), Value::Text("ascii".into())],
        ];
        let expected = "\
┌────┬──────────┐
│ id │ name     │
├────┼──────────┤
│  1 │ 東京     │
│  2 │ 🍣 sushi │
│  3 │ ascii    │
└────┴──────────┘
";
        assert_eq!(render(Mode::Box, false, &rows), expected);
    }

    #[test]
    fn wide_characters_are_cut_by_columns() {
        assert_eq!(truncate("東京都庁", 5), "東京…");
        assert_eq!(truncate("東京都庁", 6), "東京…");
        assert_eq!(truncate("東京都庁", 8), "東京都庁");
        let settings = Settings::interactive(20);
        let columns = vec!["id".to_string(), "text".to_string()];
        let rows = vec![vec![Value::Integer(1), Value::Text("漢字".repeat(30))]];
        let mut out = Vec::new();
        write_result(&mut out, &settings, &columns, &rows).unwrap();
        let text = String::from_utf8(out).unwrap();
        let widths: Vec<usize> = text.lines().map(columns_of).collect();
        assert!(widths.iter().all(|w| *w == widths[0] && *w <= 20), "{text}");
    }

    #[test]
    fn dot_width_fixes_column_widths() {
        let mut settings = Settings::interactive(80);
        settings.column_widths = vec![-4, 3];
        let columns = vec!["id".to_string(), "name".to_string()];
        let rows = vec![vec![Value::Integer(1), Value::Text("grace".into())]];
        let mut out = Vec::new();
        write_result(&mut out, &settings, &columns, &rows).unwrap();
        let expected = "\
┌──────┬─────┐
│ id   │ na… │
├──────┼─────┤
│    1 │ gr… │
└──────┴─────┘
";
        assert_eq!(String::from_utf8(out).unwrap(), expected);
    }

    #[test]
    fn wide_text_is_cut_to_the_width() {
        let settings = Settings {
            width_chars: 20,
            ..Settings::interactive(20)
        };
        let columns = vec!["id".to_string(), "text".to_string()];
        let rows = vec![vec![Value::Integer(1), Value::Text("x".repeat(100))]];
        let mut out = Vec::new();
        write_result(&mut out, &settings, &columns, &rows).unwrap();
        let text = String::from_utf8(out).unwrap();
        for line in text.lines() {
            assert!(line.chars().count() <= 20, "{line:?}");
        }
        assert!(text.contains('…'));
    }
}
