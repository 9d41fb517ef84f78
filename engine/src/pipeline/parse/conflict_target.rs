//! An upsert's conflict target naming expressions (`ON CONFLICT(lower(email)) DO ..`,
//! `ON CONFLICT(email COLLATE NOCASE)`), terms with a sort order (`ON CONFLICT(a DESC)`,
//! the order dropped as SQLite ignores it) or followed by a WHERE clause
//! (`ON CONFLICT(a) WHERE b IS NULL DO ..`), which sqlparser does not parse (it takes
//! column names only): before parsing, the target's list becomes a
//! list of quoted identifiers, one per term starting with `CONFLICT_TERM_MARKER` and one for
//! the WHERE clause starting with `CONFLICT_WHERE_MARKER`, each followed by its SQL text,
//! which `bind/upsert.rs` parses and binds. A target of column names alone is left as it is.

use std::ops::Range;

use sqlparser::tokenizer::{Token, Tokenizer};

use super::byte_offset;
use super::token_scan::TokenScan;
use crate::dialect::EmberDialect;

/// How the identifier of a conflict target's term starts; the term's SQL text follows.
pub(crate) const CONFLICT_TERM_MARKER: &str = "\u{1}ember-conflict-term:";
/// How the identifier of a conflict target's WHERE clause starts; its SQL text follows.
pub(crate) const CONFLICT_WHERE_MARKER: &str = "\u{1}ember-conflict-where:";

/// `sql` with every conflict target of expressions or with a WHERE clause rewritten, or
/// `None` when there is none.
pub(super) fn rewrite_conflict_targets(sql: &str) -> Option<String> {
    let scan = TokenScan::of_sql_containing(sql, "conflict")?;
    let (tokens, significant) = (&scan.tokens, &scan.significant);
    // Significant positions of (the list's opening parenthesis, its last token, its terms,
    // the WHERE clause).
    type Target = (usize, usize, Vec<Range<usize>>, Option<Range<usize>>);
    let mut targets: Vec<Target> = Vec::new();
    for at in 0..significant.len() {
        if !(scan.word(at, "on") && scan.word(at + 1, "conflict")) {
            continue;
        }
        let open = at + 2;
        let Some((terms, close)) = target_terms(&scan, open) else {
            continue;
        };
        // A term's sort order (`a DESC`) names nothing the target matches: SQLite ignores it.
        let ordered = |range: &Range<usize>| {
            range.len() > 1 && (scan.word(range.end - 1, "asc") || scan.word(range.end - 1, "desc"))
        };
        let sorted = terms.iter().any(ordered);
        let terms: Vec<Range<usize>> = terms
            .into_iter()
            .map(|range| match ordered(&range) {
                true => range.start..range.end - 1,
                false => range,
            })
            .collect();
        let filter = if scan.word(close + 1, "where") {
            match clause_before_do(&scan, close + 2) {
                Some(end) if end > close + 2 => Some(close + 2..end),
                _ => continue,
            }
        } else {
            None
        };
        let named = |range: &Range<usize>| {
            range.len() == 1 && matches!(tokens[significant[range.start]], Token::Word(_))
        };
        if filter.is_none() && !sorted && terms.iter().all(named) {
            continue;
        }
        if terms.iter().any(|range| range.is_empty()) {
            // Left for the parser to report.
            continue;
        }
        let last = filter.as_ref().map_or(close, |filter| filter.end - 1);
        targets.push((open, last, terms, filter));
    }
    if targets.is_empty() {
        return None;
    }
    // The original text of the tokens, by their spans (printing tokens again would lose
    // the escapes inside quoted strings and names).
    let spans = Tokenizer::new(&EmberDialect::default(), sql)
        .tokenize_with_location()
        .ok()?;
    debug_assert_eq!(spans.len(), tokens.len());
    let start_of = |position: usize| byte_offset(sql, spans.get(significant[position])?.span.start);
    let end_of = |position: usize| byte_offset(sql, spans.get(significant[position])?.span.end);
    let text_of = |range: &Range<usize>| -> Option<&str> {
        Some(&sql[start_of(range.start)?..end_of(range.end - 1)?])
    };
    let quoted = |marker: &str, text: &str| format!("\"{marker}{}\"", text.replace('"', "\"\""));
    let mut out = String::with_capacity(sql.len() + 64);
    let mut copied = 0;
    for (open, last, terms, filter) in &targets {
        let mut list = Vec::with_capacity(terms.len() + 1);
        for term in terms {
            list.push(quoted(CONFLICT_TERM_MARKER, text_of(term)?));
        }
        if let Some(filter) = filter {
            list.push(quoted(CONFLICT_WHERE_MARKER, text_of(filter)?));
        }
        let from = start_of(*open)?;
        out.push_str(sql.get(copied..from)?);
        out.push_str(&format!("({})", list.join(", ")));
        copied = end_of(*last)?;
    }
    out.push_str(sql.get(copied..)?);
    Some(out)
}

/// `text` (a rewritten statement's) with every marked conflict target written back as
/// SQL: `("<term marker>lower(e)", "<where marker>b > 0")` becomes `(lower(e)) WHERE b > 0`,
/// for the CREATE TRIGGER text SQLite keeps (`trigger_text.rs`).
pub(crate) fn restore_conflict_targets(text: &str) -> String {
    let term = format!("\"{CONFLICT_TERM_MARKER}");
    let filter = format!(", \"{CONFLICT_WHERE_MARKER}");
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let next_term = rest.find(&term).map(|at| (at, false));
        let next_filter = rest.find(&filter).map(|at| (at, true));
        let next = match (next_term, next_filter) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let Some((at, is_filter)) = next else {
            out.push_str(rest);
            return out;
        };
        out.push_str(&rest[..at]);
        let start = at + if is_filter { filter.len() } else { term.len() };
        let (sql, after) = unquoted(&rest[start..]);
        match after.strip_prefix(')') {
            Some(after) if is_filter => {
                out.push_str(") WHERE ");
                out.push_str(&sql);
                rest = after;
            }
            _ => {
                out.push_str(&sql);
                rest = after;
            }
        }
    }
}

/// The text of a quoted identifier whose opening quote is behind (`""` is one quote), and
/// what follows its closing quote.
pub(super) fn unquoted(text: &str) -> (String, &str) {
    let mut sql = String::new();
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if c == '"' {
            if chars.peek().is_some_and(|&(_, next)| next == '"') {
                chars.next();
            } else {
                return (sql, &text[at + 1..]);
            }
        }
        sql.push(c);
    }
    (sql, "")
}

/// The terms (ranges of significant positions, split at the commas outside parentheses) of
/// the parenthesized list opening at significant position `open`, and the position of its
/// closing parenthesis; `None` when no list opens there or it does not close.
fn target_terms(scan: &TokenScan, open: usize) -> Option<(Vec<Range<usize>>, usize)> {
    if !scan.is(open, &Token::LParen) {
        return None;
    }
    let mut terms = Vec::new();
    let (mut depth, mut start) = (0usize, open + 1);
    for position in open + 1..scan.significant.len() {
        match &scan.tokens[scan.significant[position]] {
            Token::LParen => depth += 1,
            Token::RParen if depth == 0 => {
                terms.push(start..position);
                return Some((terms, position));
            }
            Token::RParen => depth -= 1,
            Token::Comma if depth == 0 => {
                terms.push(start..position);
                start = position + 1;
            }
            _ => {}
        }
    }
    None
}

/// The significant position of the `DO` that ends the clause starting at `from` (outside
/// parentheses), if any.
fn clause_before_do(scan: &TokenScan, from: usize) -> Option<usize> {
    let mut depth = 0usize;
    for position in from..scan.significant.len() {
        match &scan.tokens[scan.significant[position]] {
            Token::LParen => depth += 1,
            Token::RParen => depth = depth.checked_sub(1)?,
            _ if depth == 0 && scan.word(position, "do") => return Some(position),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expression_targets_and_where_clauses_become_marked_names() {
        let sql = "INSERT INTO t VALUES (1) ON CONFLICT (lower(\"e\"), id) WHERE (gone IS NULL) \
                   DO NOTHING";
        let rewritten = rewrite_conflict_targets(sql).expect("rewritten");
        assert_eq!(
            rewritten,
            format!(
                "INSERT INTO t VALUES (1) ON CONFLICT (\"{CONFLICT_TERM_MARKER}lower(\"\"e\"\")\", \
                 \"{CONFLICT_TERM_MARKER}id\", \"{CONFLICT_WHERE_MARKER}(gone IS NULL)\") DO \
                 NOTHING"
            )
        );
        let sql = "INSERT INTO t VALUES (1) ON CONFLICT(a) WHERE b > 0 DO UPDATE SET a = 2";
        let rewritten = rewrite_conflict_targets(sql).expect("rewritten");
        assert!(
            rewritten.ends_with(&format!(
                "(\"{CONFLICT_TERM_MARKER}a\", \"{CONFLICT_WHERE_MARKER}b > 0\") DO UPDATE SET \
                 a = 2"
            )),
            "{rewritten}"
        );
    }

    #[test]
    fn rewritten_targets_are_written_back() {
        for sql in [
            "INSERT INTO t VALUES (1) ON CONFLICT(lower(\"e\"), id) WHERE gone IS NULL DO NOTHING",
            "INSERT INTO t VALUES (1) ON CONFLICT(a) WHERE b > 0 DO UPDATE SET a = 2",
            "INSERT INTO t VALUES (1) ON CONFLICT(a || 'x''\"') DO NOTHING",
        ] {
            let rewritten = rewrite_conflict_targets(sql).expect("rewritten");
            assert_eq!(restore_conflict_targets(&rewritten), sql);
        }
    }

    #[test]
    fn column_targets_and_other_text_are_kept() {
        assert!(
            rewrite_conflict_targets("INSERT INTO t VALUES (1) ON CONFLICT(a, b) DO NOTHING")
                .is_none()
        );
        assert!(
            rewrite_conflict_targets("INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING").is_none()
        );
        assert!(rewrite_conflict_targets("SELECT 'ON CONFLICT (lower(a))'").is_none());
        assert!(
            rewrite_conflict_targets("INSERT INTO t VALUES (1) ON CONFLICT (a,) DO NOTHING")
                .is_none()
        );
    }
}
