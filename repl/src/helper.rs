//! The rustyline helper: tab completion (SQL keywords, table and column names from the
//! catalog, dot-commands, file paths after `.read` / `.import` / `.open` / `.output`) and
//! SQL syntax highlighting when the terminal shows colour.

use std::borrow::Cow;

use ember::Database;
use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::{Context, Helper};

use crate::dot::command_names;

pub const KEYWORDS: &[&str] = &[
    "ABORT",
    "ALL",
    "ALTER",
    "AND",
    "AS",
    "ASC",
    "AVG",
    "BEGIN",
    "BETWEEN",
    "BIGINT",
    "BLOB",
    "BOOLEAN",
    "BY",
    "CASE",
    "CAST",
    "CHECK",
    "CHECKPOINT",
    "COMMIT",
    "COUNT",
    "CREATE",
    "CROSS",
    "DEFAULT",
    "DELETE",
    "DESC",
    "DISTINCT",
    "DOUBLE",
    "DROP",
    "ELSE",
    "END",
    "EXISTS",
    "EXPLAIN",
    "FALSE",
    "FROM",
    "FULL",
    "GROUP",
    "HAVING",
    "IF",
    "IN",
    "INDEX",
    "INNER",
    "INSERT",
    "INT",
    "INTEGER",
    "INTO",
    "IS",
    "JOIN",
    "KEY",
    "LEFT",
    "LIKE",
    "LIMIT",
    "MAX",
    "MIN",
    "NOT",
    "NULL",
    "OFFSET",
    "ON",
    "OR",
    "ORDER",
    "OUTER",
    "PRIMARY",
    "REAL",
    "RELEASE",
    "RIGHT",
    "ROLLBACK",
    "SAVEPOINT",
    "SELECT",
    "SET",
    "SUM",
    "TABLE",
    "TEXT",
    "THEN",
    "TRANSACTION",
    "TRUE",
    "UNION",
    "UNIQUE",
    "UPDATE",
    "VACUUM",
    "VALUES",
    "VARCHAR",
    "WHEN",
    "WHERE",
    "WITH",
];

/// Dot-commands whose argument is a file path.
const PATH_COMMANDS: &[&str] = &[
    ".read", ".import", ".open", ".output", ".once", ".backup", ".restore",
];

pub struct ShellHelper {
    pub db: Database,
    pub colour: bool,
    files: FilenameCompleter,
}

impl ShellHelper {
    pub fn new(db: Database, colour: bool) -> ShellHelper {
        ShellHelper {
            db,
            colour,
            files: FilenameCompleter::new(),
        }
    }

    /// The columns of the table `qualifier` names in `line` (a table name, or an alias from
    /// `FROM users u` / `JOIN users AS u`) that start with `prefix`; `None` when `qualifier`
    /// names no table.
    fn qualified_candidates(&self, line: &str, qualifier: &str, prefix: &str) -> Option<Vec<Pair>> {
        let catalog = self.db.catalog();
        let table_named = |name: &str| {
            catalog
                .tables()
                .into_iter()
                .find(|table| table.name.eq_ignore_ascii_case(name))
        };
        let table = table_named(qualifier).or_else(|| {
            let words: Vec<&str> = line
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .filter(|word| !word.is_empty())
                .collect();
            words.iter().enumerate().find_map(|(index, word)| {
                let alias_at = match words.get(index + 1) {
                    Some(next) if next.eq_ignore_ascii_case("as") => index + 2,
                    _ => index + 1,
                };
                let is_alias = words
                    .get(alias_at)
                    .is_some_and(|alias| alias.eq_ignore_ascii_case(qualifier));
                if is_alias {
                    table_named(word)
                } else {
                    None
                }
            })
        })?;
        let upper = prefix.to_ascii_uppercase();
        Some(
            table
                .columns
                .iter()
                .filter(|column| {
                    !column.hidden && column.name.to_ascii_uppercase().starts_with(&upper)
                })
                .map(|column| Pair {
                    display: column.name.clone(),
                    replacement: column.name.clone(),
                })
                .collect(),
        )
    }

    /// Names the word being typed could complete to: keywords, tables and columns.
    fn sql_candidates(&self, prefix: &str) -> Vec<Pair> {
        let catalog = self.db.catalog();
        let mut names: Vec<String> = Vec::new();
        for table in catalog.tables() {
            names.push(table.name.clone());
            names.extend(
                table
                    .visible_columns()
                    .map(|(_, column)| column.name.clone()),
            );
        }
        let upper = prefix.to_ascii_uppercase();
        let lower_typed = prefix
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase());
        let mut candidates: Vec<String> = names
            .into_iter()
            .filter(|name| name.to_ascii_uppercase().starts_with(&upper))
            .collect();
        candidates.extend(
            KEYWORDS
                .iter()
                .filter(|keyword| keyword.starts_with(&upper))
                .map(|keyword| {
                    if lower_typed {
                        keyword.to_ascii_lowercase()
                    } else {
                        keyword.to_string()
                    }
                }),
        );
        candidates.sort();
        candidates.dedup();
        candidates
            .into_iter()
            .map(|name| Pair {
                display: name.clone(),
                replacement: name,
            })
            .collect()
    }
}

/// Start of the identifier-like word that ends at `pos`.
fn word_start(line: &str, pos: usize) -> usize {
    line[..pos]
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_' || *c == '.'))
        .map_or(0, |(index, c)| index + c.len_utf8())
}

impl Completer for ShellHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        if line.starts_with('.') {
            let command = line.split_whitespace().next().unwrap_or("");
            if !line[..pos].contains(' ') {
                let matches = command_names()
                    .filter(|name| name.starts_with(&line[..pos]))
                    .map(|name| Pair {
                        display: name.to_string(),
                        replacement: name.to_string(),
                    })
                    .collect();
                return Ok((0, matches));
            }
            if PATH_COMMANDS.contains(&command) {
                return self.files.complete(line, pos, ctx);
            }
        }
        let start = word_start(line, pos);
        let word = &line[start..pos];
        // After `table.` or `alias.` complete that table's columns, only the part after the dot.
        if let Some(dot) = word.rfind('.') {
            let qualifier = word[..dot].rsplit('.').next().unwrap_or("");
            let prefix = &word[dot + 1..];
            let candidates = self
                .qualified_candidates(line, qualifier, prefix)
                .unwrap_or_else(|| self.sql_candidates(prefix));
            return Ok((start + dot + 1, candidates));
        }
        Ok((start, self.sql_candidates(word)))
    }
}

impl Hinter for ShellHelper {
    type Hint = String;
}

impl Validator for ShellHelper {}

impl Helper for ShellHelper {}

impl Highlighter for ShellHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        if !self.colour || line.starts_with('.') {
            return Cow::Borrowed(line);
        }
        Cow::Owned(highlight_sql(line))
    }

    fn highlight_char(&self, _line: &str, _pos: usize, _kind: CmdKind) -> bool {
        self.colour
    }
}

const KEYWORD_COLOUR: &str = "\x1b[1;34m";
const STRING_COLOUR: &str = "\x1b[32m";
const NUMBER_COLOUR: &str = "\x1b[33m";
const COMMENT_COLOUR: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

/// `line` with ANSI colours: keywords, string literals, numbers and `--` comments.
pub fn highlight_sql(line: &str) -> String {
    let mut out = String::with_capacity(line.len() * 2);
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let mut index = 0;
    let end_of = |i: usize| chars.get(i).map_or(line.len(), |(at, _)| *at);
    while index < chars.len() {
        let (at, ch) = chars[index];
        let start = index;
        let colour = if ch == '\'' {
            index += 1;
            while index < chars.len() && chars[index].1 != '\'' {
                index += 1;
            }
            index = (index + 1).min(chars.len());
            Some(STRING_COLOUR)
        } else if ch == '-' && chars.get(index + 1).is_some_and(|(_, c)| *c == '-') {
            while index < chars.len() && chars[index].1 != '\n' {
                index += 1;
            }
            Some(COMMENT_COLOUR)
        } else if ch.is_alphabetic() || ch == '_' {
            while index < chars.len() && (chars[index].1.is_alphanumeric() || chars[index].1 == '_')
            {
                index += 1;
            }
            let word = &line[at..end_of(index)];
            KEYWORDS
                .contains(&word.to_ascii_uppercase().as_str())
                .then_some(KEYWORD_COLOUR)
        } else if ch.is_ascii_digit() {
            while index < chars.len()
                && (chars[index].1.is_ascii_alphanumeric() || chars[index].1 == '.')
            {
                index += 1;
            }
            Some(NUMBER_COLOUR)
        } else {
            index += 1;
            None
        };
        let text = &line[chars[start].0..end_of(index)];
        match colour {
            Some(colour) => {
                out.push_str(colour);
                out.push_str(text);
                out.push_str(RESET);
            }
            None => out.push_str(text),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strip(text: &str) -> String {
        let mut out = String::new();
        let mut in_escape = false;
        for ch in text.chars() {
            match ch {
                '\x1b' => in_escape = true,
                'm' if in_escape => in_escape = false,
                c if !in_escape => out.push(c),
                _ => {}
            }
        }
        out
    }

    #[test]
    fn highlighting_keeps_the_text() {
        let line = "SELECT name, 'it''s' -- note\nFROM t WHERE id = 42 AND é";
        let coloured = highlight_sql(line);
        assert_eq!(strip(&coloured), line);
        assert!(coloured.contains(&format!("{KEYWORD_COLOUR}SELECT{RESET}")));
        assert!(coloured.contains(&format!("{NUMBER_COLOUR}42{RESET}")));
    }

    #[test]
    fn completes_tables_columns_keywords() {
        let db = Database::in_memory();
        db.connect()
            .execute("CREATE TABLE customers(id INT PRIMARY KEY, city TEXT)", ())
            .unwrap();
        let helper = ShellHelper::new(db, false);
        let names = |prefix: &str| -> Vec<String> {
            helper
                .sql_candidates(prefix)
                .into_iter()
                .map(|p| p.replacement)
                .collect()
        };
        assert_eq!(names("cust"), ["customers"]);
        assert_eq!(names("ci"), ["city"]);
        assert!(names("SEL").contains(&"SELECT".to_string()));
        assert!(names("sel").contains(&"select".to_string()));
        assert_eq!(word_start("SELECT * FROM cu", 16), 14);
    }

    #[test]
    fn completes_columns_after_a_table_or_an_alias() {
        let db = Database::in_memory();
        let connection = db.connect();
        connection
            .execute(
                "CREATE TABLE users(id INT PRIMARY KEY, name TEXT, nick TEXT)",
                (),
            )
            .unwrap();
        connection
            .execute("CREATE TABLE orders(id INT PRIMARY KEY, user_id INT)", ())
            .unwrap();
        let helper = ShellHelper::new(db, false);
        let history = rustyline::history::DefaultHistory::new();
        let complete = |line: &str| -> (usize, Vec<String>) {
            let ctx = Context::new(&history);
            let (start, pairs) = helper.complete(line, line.len(), &ctx).unwrap();
            (start, pairs.into_iter().map(|p| p.replacement).collect())
        };
        assert_eq!(
            complete("SELECT users."),
            (13, vec!["id".into(), "name".into(), "nick".into()])
        );
        assert_eq!(complete("SELECT users.n").1, ["name", "nick"]);
        let line = "SELECT u.n";
        let with_alias = format!("{line} FROM users u JOIN orders AS o ON o.user_id = u.id");
        let ctx = Context::new(&history);
        let (start, pairs) = helper.complete(&with_alias, line.len(), &ctx).unwrap();
        let names: Vec<String> = pairs.into_iter().map(|p| p.replacement).collect();
        assert_eq!(
            (start, names),
            (9, vec!["name".to_string(), "nick".to_string()])
        );
        assert_eq!(
            complete("SELECT * FROM orders AS o WHERE o.u").1,
            ["user_id"]
        );
    }
}
