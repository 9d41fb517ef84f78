//! A table constraint's own conflict clause (`UNIQUE (a, b) ON CONFLICT REPLACE`,
//! `PRIMARY KEY (a) ON CONFLICT IGNORE`, `CHECK (..) ON CONFLICT ..`), which sqlparser
//! does not parse (it takes the clause on a column only). Before parsing, the clause's
//! text becomes a comment starting with `CONSTRAINT_CONFLICT_MARKER`, and a PRIMARY KEY or
//! UNIQUE constraint's name carries its action: the unnamed constraint gets the name
//! `"<marker>ACTION:"`, a named one `"<marker>ACTION:<its name as written>"`. The binder
//! reads the action back from the name (`declared_action`); the kept CREATE text is
//! written back as it was (`restore_constraint_conflicts`). SQLite accepts and ignores the
//! clause on a CHECK table constraint: there only the comment is left.

use sqlparser::tokenizer::{Token, Tokenizer};

use super::byte_offset;
use super::token_scan::TokenScan;
use crate::dialect::EmberDialect;

/// How a rewritten conflict clause's comment and a constraint name carrying the clause's
/// action start.
pub(crate) const CONSTRAINT_CONFLICT_MARKER: &str = "\u{1}ember-conflict:";

/// The actions of a conflict clause, as SQLite spells them.
const ACTIONS: [&str; 5] = ["ROLLBACK", "ABORT", "FAIL", "IGNORE", "REPLACE"];

/// One table constraint with a conflict clause, by significant token positions.
struct Found {
    /// The constraint's name token (after CONSTRAINT), if it has one.
    name: Option<usize>,
    /// PRIMARY or UNIQUE (the name goes before it); `None` for CHECK.
    keyword: Option<usize>,
    /// ON, and the action (the clause's last token).
    clause: (usize, usize),
}

/// `sql` with every table constraint's conflict clause rewritten, or `None` when there is
/// none.
pub(super) fn rewrite_constraint_conflicts(sql: &str) -> Option<String> {
    let scan = TokenScan::of_sql_containing(sql, "conflict")?;
    let found = find_clauses(&scan);
    if found.is_empty() {
        return None;
    }
    let spans = Tokenizer::new(&EmberDialect::default(), sql)
        .tokenize_with_location()
        .ok()?;
    debug_assert_eq!(spans.len(), scan.tokens.len());
    let start_of = |at: usize| byte_offset(sql, spans.get(scan.significant[at])?.span.start);
    let end_of = |at: usize| byte_offset(sql, spans.get(scan.significant[at])?.span.end);
    let mut out = String::with_capacity(sql.len() + 64);
    let mut copied = 0;
    for found in &found {
        let (on, action) = found.clause;
        let action_word = match &scan.tokens[scan.significant[action]] {
            Token::Word(word) => word.value.to_ascii_uppercase(),
            _ => return None,
        };
        match (found.name, found.keyword) {
            (Some(name), Some(_)) => {
                let name_text = sql.get(start_of(name)?..end_of(name)?)?;
                out.push_str(sql.get(copied..start_of(name)?)?);
                let marked = format!("{CONSTRAINT_CONFLICT_MARKER}{action_word}:{name_text}");
                out.push_str(&format!("\"{}\"", marked.replace('"', "\"\"")));
                copied = end_of(name)?;
            }
            (None, Some(keyword)) => {
                out.push_str(sql.get(copied..start_of(keyword)?)?);
                out.push_str(&unnamed_prefix(&action_word));
                copied = start_of(keyword)?;
            }
            _ => {}
        }
        let clause = sql.get(start_of(on)?..end_of(action)?)?;
        if clause.contains("*/") {
            return None;
        }
        out.push_str(sql.get(copied..start_of(on)?)?);
        out.push_str(&format!("/*{CONSTRAINT_CONFLICT_MARKER}{clause}*/"));
        copied = end_of(action)?;
    }
    out.push_str(sql.get(copied..)?);
    Some(out)
}

/// What the rewrite puts before an unnamed PRIMARY KEY or UNIQUE constraint.
fn unnamed_prefix(action: &str) -> String {
    format!("CONSTRAINT \"{CONSTRAINT_CONFLICT_MARKER}{action}:\" ")
}

/// The table constraints of every CREATE TABLE in `scan` that end in a conflict clause.
fn find_clauses(scan: &TokenScan) -> Vec<Found> {
    let mut found = Vec::new();
    let count = scan.significant.len();
    let mut at = 0;
    while at < count {
        if !(scan.word(at, "create") && (1..4).any(|skip| scan.word(at + skip, "table"))) {
            at += 1;
            continue;
        }
        // The column list: the first parenthesis after TABLE, to its matching one.
        let Some(open) = (at..count).find(|&i| scan.is(i, &Token::LParen)) else {
            break;
        };
        let mut depth = 0usize;
        let mut segment_start = open + 1;
        let mut i = open;
        while i < count {
            if scan.is(i, &Token::LParen) {
                depth += 1;
            } else if scan.is(i, &Token::RParen) {
                depth -= 1;
                if depth == 0 {
                    found.extend(segment_clause(scan, segment_start, i));
                    break;
                }
            } else if depth == 1 && scan.is(i, &Token::Comma) {
                found.extend(segment_clause(scan, segment_start, i));
                segment_start = i + 1;
            } else if scan.is(i, &Token::SemiColon) {
                break;
            }
            i += 1;
        }
        at = i + 1;
    }
    found
}

/// The conflict clause ending the table constraint at significant positions `start..end`
/// (one entry of a column list), if it is such a constraint with one.
fn segment_clause(scan: &TokenScan, start: usize, end: usize) -> Option<Found> {
    let (name, keyword) = if scan.word(start, "constraint") {
        (Some(start + 1), start + 2)
    } else {
        (None, start)
    };
    let key = scan.word(keyword, "primary") || scan.word(keyword, "unique");
    if !key && !scan.word(keyword, "check") {
        return None;
    }
    if end < keyword + 4 {
        return None;
    }
    let (on, action) = (end - 3, end - 1);
    let clause = scan.word(on, "on")
        && scan.word(on + 1, "conflict")
        && ACTIONS.iter().any(|word| scan.word(action, word))
        && scan.is(on - 1, &Token::RParen);
    clause.then_some(Found {
        name,
        keyword: key.then_some(keyword),
        clause: (on, action),
    })
}

/// The conflict action (`"REPLACE"`, ..) a rewritten constraint's name carries, and the
/// name as written (`None` for an unnamed constraint); `None` for any other name.
pub(crate) fn declared_action(name: &str) -> Option<(&str, Option<&str>)> {
    let rest = name.strip_prefix(CONSTRAINT_CONFLICT_MARKER)?;
    let (action, written) = rest.split_once(':')?;
    ACTIONS
        .contains(&action)
        .then_some((action, Some(written).filter(|w| !w.is_empty())))
}

/// `text` (a rewritten CREATE TABLE's kept text) with every conflict clause and constraint
/// name written back as the statement had them.
pub(crate) fn restore_constraint_conflicts(text: &str) -> String {
    if !text.contains(CONSTRAINT_CONFLICT_MARKER) {
        return text.to_string();
    }
    let mut out = text.to_string();
    for action in ACTIONS {
        out = out.replace(&unnamed_prefix(action), "");
    }
    // The clauses' comments.
    let open = format!("/*{CONSTRAINT_CONFLICT_MARKER}");
    while let Some(at) = out.find(&open) {
        let Some(close) = out[at..].find("*/") else {
            break;
        };
        let clause = out[at + open.len()..at + close].to_string();
        out.replace_range(at..at + close + 2, &clause);
    }
    // The named constraints' names.
    let quoted = format!("\"{CONSTRAINT_CONFLICT_MARKER}");
    while let Some(at) = out.find(&quoted) {
        let (name, after) = unquote(&out[at + 1..]);
        let written = declared_action(&name).and_then(|(_, written)| written);
        let end = out.len() - after.len();
        out.replace_range(at..end, written.unwrap_or(""));
    }
    out
}

/// The value of the double-quoted name `text` starts with (after its opening quote), and
/// the text after its closing quote.
fn unquote(text: &str) -> (String, &str) {
    let mut value = String::new();
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if c == '"' {
            if chars.peek().is_some_and(|&(_, next)| next == '"') {
                chars.next();
                value.push('"');
                continue;
            }
            return (value, &text[at + 1..]);
        }
        value.push(c);
    }
    (value, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(sql: &str) -> String {
        let rewritten = rewrite_constraint_conflicts(sql).expect("a clause is rewritten");
        restore_constraint_conflicts(&rewritten)
    }

    #[test]
    fn table_constraint_clauses_become_names_and_comments() {
        let sql = "CREATE TABLE t(a, b, UNIQUE (a, b) ON CONFLICT REPLACE)";
        let rewritten = rewrite_constraint_conflicts(sql).unwrap();
        assert_eq!(
            rewritten,
            format!(
                "CREATE TABLE t(a, b, CONSTRAINT \"{m}REPLACE:\" UNIQUE (a, b) \
                 /*{m}ON CONFLICT REPLACE*/)",
                m = CONSTRAINT_CONFLICT_MARKER
            )
        );
        assert_eq!(round_trip(sql), sql);
    }

    #[test]
    fn named_constraints_keep_their_names_as_written() {
        let sql = "create table t(a, constraint \"k \"\"1\" primary key(a) on conflict ignore,\n\
                   b check (b > 0) , check(b < 9) ON  CONFLICT fail)";
        let rewritten = rewrite_constraint_conflicts(sql).unwrap();
        let name = format!("{CONSTRAINT_CONFLICT_MARKER}IGNORE:\"k \"\"1\"");
        assert!(rewritten.contains(&format!("\"{}\"", name.replace('"', "\"\""))));
        assert_eq!(
            declared_action(&name),
            Some(("IGNORE", Some("\"k \"\"1\"")))
        );
        assert_eq!(round_trip(sql), sql);
    }

    #[test]
    fn column_clauses_and_other_statements_are_left_alone() {
        for sql in [
            "CREATE TABLE t(a UNIQUE ON CONFLICT IGNORE, b)",
            "INSERT INTO t VALUES (1) ON CONFLICT (a) DO NOTHING",
            "CREATE TABLE t(a, UNIQUE (a))",
        ] {
            assert_eq!(rewrite_constraint_conflicts(sql), None, "{sql}");
        }
        assert_eq!(declared_action("plain"), None);
    }
}
