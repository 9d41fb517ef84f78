//! An INSERT with several upsert clauses (`ON CONFLICT (a) DO .. ON CONFLICT (b) DO ..
//! ON CONFLICT DO ..`, SQLite 3.35+), which sqlparser does not parse (it takes one): before
//! parsing, the clauses become one clause `ON CONFLICT ("<marker>clause", ..) DO NOTHING`
//! whose target lists each clause's SQL text as a quoted identifier starting with
//! `UPSERT_CLAUSE_MARKER`; `bind/upsert.rs` parses and binds each in turn. A single clause is
//! left as it is.

use std::ops::Range;

use sqlparser::tokenizer::{Token, Tokenizer};

use super::byte_offset;
use super::conflict_target::unquoted;
use super::token_scan::TokenScan;
use crate::dialect::EmberDialect;

/// How the identifier holding one upsert clause's SQL text starts.
pub(crate) const UPSERT_CLAUSE_MARKER: &str = "\u{1}ember-upsert-clause:";

/// `sql` with every INSERT's run of several upsert clauses rewritten, or `None` when there
/// is none.
pub(super) fn rewrite_upsert_chains(sql: &str) -> Option<String> {
    let scan = TokenScan::of_sql_containing(sql, "conflict")?;
    // An upsert clause goes on with its target's parenthesis or DO; a column constraint's
    // `ON CONFLICT REPLACE` (CREATE TABLE) with a resolution, and is none.
    let starts_clause = |at: usize| {
        scan.word(at, "on")
            && scan.word(at + 1, "conflict")
            && (scan.is(at + 2, &Token::LParen) || scan.word(at + 2, "do"))
    };
    // Runs of clauses: each clause a range of significant positions.
    let mut chains: Vec<Vec<Range<usize>>> = Vec::new();
    let mut at = 0;
    while at < scan.significant.len() {
        if !starts_clause(at) {
            at += 1;
            continue;
        }
        let mut clauses = Vec::new();
        let mut start = at;
        loop {
            let end = clause_end(&scan, start + 2, &starts_clause);
            clauses.push(start..end);
            if end < scan.significant.len() && starts_clause(end) {
                start = end;
            } else {
                break;
            }
        }
        at = clauses
            .last()
            .map_or(at + 1, |clause| clause.end.max(at + 1));
        if clauses.len() > 1 {
            chains.push(clauses);
        }
    }
    if chains.is_empty() {
        return None;
    }
    // The original text of the tokens, by their spans (printing tokens again would lose
    // the escapes inside quoted strings and names).
    let spans = Tokenizer::new(&EmberDialect::default(), sql)
        .tokenize_with_location()
        .ok()?;
    debug_assert_eq!(spans.len(), scan.tokens.len());
    let significant = &scan.significant;
    let start_of = |position: usize| byte_offset(sql, spans.get(significant[position])?.span.start);
    let end_of = |position: usize| byte_offset(sql, spans.get(significant[position])?.span.end);
    let mut out = String::with_capacity(sql.len() + 64);
    let mut copied = 0;
    for clauses in &chains {
        let mut list = Vec::with_capacity(clauses.len());
        for (index, clause) in clauses.iter().enumerate() {
            if clause.len() < 3 {
                // Nothing after ON CONFLICT: left for the parser to report.
                return None;
            }
            // Up to the next clause (the text between them kept), or the clause's last token.
            let end = match clauses.get(index + 1) {
                Some(next) => start_of(next.start)?,
                None => end_of(clause.end - 1)?,
            };
            let text = sql.get(start_of(clause.start)?..end)?;
            list.push(format!(
                "\"{UPSERT_CLAUSE_MARKER}{}\"",
                text.replace('"', "\"\"")
            ));
        }
        let from = start_of(clauses.first()?.start)?;
        out.push_str(sql.get(copied..from)?);
        out.push_str(&format!("ON CONFLICT ({}) DO NOTHING", list.join(", ")));
        copied = end_of(clauses.last()?.end - 1)?;
    }
    out.push_str(sql.get(copied..)?);
    Some(out)
}

/// The significant position just past the upsert clause whose body starts at `from`: the
/// next clause's `ON CONFLICT`, `RETURNING`, `;` or a closing parenthesis outside the
/// clause's own parentheses, or the end.
fn clause_end(scan: &TokenScan, from: usize, starts_clause: &dyn Fn(usize) -> bool) -> usize {
    let mut depth = 0usize;
    for position in from..scan.significant.len() {
        match &scan.tokens[scan.significant[position]] {
            Token::LParen => depth += 1,
            Token::RParen if depth == 0 => return position,
            Token::RParen => depth -= 1,
            Token::SemiColon if depth == 0 => return position,
            _ if depth == 0 && (scan.word(position, "returning") || starts_clause(position)) => {
                return position
            }
            _ => {}
        }
    }
    scan.significant.len()
}

/// `text` (a rewritten statement's) with every marked run of upsert clauses written back as
/// SQL, for the CREATE TRIGGER text SQLite keeps (`trigger_text.rs`).
pub(crate) fn restore_upsert_chains(text: &str) -> String {
    let opening = format!("ON CONFLICT (\"{UPSERT_CLAUSE_MARKER}");
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(&opening) {
        out.push_str(&rest[..at]);
        let mut after = &rest[at + opening.len()..];
        let mut clauses = Vec::new();
        loop {
            let (clause, tail) = unquoted(after);
            clauses.push(clause);
            match tail.strip_prefix(&format!(", \"{UPSERT_CLAUSE_MARKER}")) {
                Some(next) => after = next,
                None => {
                    after = tail.strip_prefix(") DO NOTHING").unwrap_or(tail);
                    break;
                }
            }
        }
        out.push_str(&clauses.concat());
        rest = after;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_constraint_conflict_clauses_are_no_upsert_chain() {
        let sql = "CREATE TABLE u (e TEXT UNIQUE ON CONFLICT IGNORE, \
                   n TEXT NOT NULL ON CONFLICT REPLACE DEFAULT 'x')";
        assert_eq!(rewrite_upsert_chains(sql), None);
    }

    #[test]
    fn several_clauses_become_one_marked_clause() {
        let sql = "INSERT INTO t VALUES (1, 'a\"') ON CONFLICT (a) DO UPDATE SET b = (b + 1) \
                   WHERE b < 9 ON CONFLICT DO NOTHING RETURNING *; SELECT 1";
        let rewritten = rewrite_upsert_chains(sql).expect("rewritten");
        let m = UPSERT_CLAUSE_MARKER;
        assert_eq!(
            rewritten,
            format!(
                "INSERT INTO t VALUES (1, 'a\"') ON CONFLICT (\"{m}ON CONFLICT (a) DO UPDATE SET \
                 b = (b + 1) WHERE b < 9 \", \"{m}ON CONFLICT DO NOTHING\") DO NOTHING \
                 RETURNING *; SELECT 1"
            )
        );
        assert_eq!(restore_upsert_chains(&rewritten), sql);
    }

    #[test]
    fn a_single_clause_and_other_text_are_kept() {
        for sql in [
            "INSERT INTO t VALUES (1) ON CONFLICT (a) DO NOTHING",
            "INSERT INTO t VALUES (1) ON CONFLICT DO UPDATE SET a = 'ON CONFLICT'",
            "SELECT 'ON CONFLICT DO NOTHING ON CONFLICT DO NOTHING'",
            "INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING; INSERT INTO t VALUES (2) \
             ON CONFLICT DO NOTHING",
        ] {
            assert_eq!(rewrite_upsert_chains(sql), None, "{sql}");
        }
    }

    #[test]
    fn quoted_names_inside_a_clause_are_written_back() {
        let sql = "INSERT INTO \"t\" VALUES (1) ON CONFLICT (\"a\") DO UPDATE SET \"b\" = 2 \
                   ON CONFLICT (\"c\") DO NOTHING";
        let rewritten = rewrite_upsert_chains(sql).expect("rewritten");
        assert_eq!(restore_upsert_chains(&rewritten), sql);
    }
}
