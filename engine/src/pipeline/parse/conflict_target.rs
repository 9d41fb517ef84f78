//! An upsert's conflict target naming expressions (`ON CONFLICT(lower(email)) DO ..`) or
//! followed by a WHERE clause (`ON CONFLICT(a) WHERE b IS NULL DO ..`), which sqlparser
//! does not parse (it takes column names only): before parsing, the target's list becomes a
//! list of quoted identifiers, one per term starting with `CONFLICT_TERM_MARKER` and one for
//! the WHERE clause starting with `CONFLICT_WHERE_MARKER`, each followed by its SQL text,
//! which `bind/upsert.rs` parses and binds. A target of column names alone is left as it is.

use std::ops::Range;

use sqlparser::tokenizer::Token;

use super::token_scan::TokenScan;

/// How the identifier of a conflict target's term starts; the term's SQL text follows.
pub(crate) const CONFLICT_TERM_MARKER: &str = "\u{1}ember-conflict-term:";
/// How the identifier of a conflict target's WHERE clause starts; its SQL text follows.
pub(crate) const CONFLICT_WHERE_MARKER: &str = "\u{1}ember-conflict-where:";

/// `sql` with every conflict target of expressions or with a WHERE clause rewritten, or
/// `None` when there is none.
pub(super) fn rewrite_conflict_targets(sql: &str) -> Option<String> {
    let scan = TokenScan::of_sql_containing(sql, "conflict")?;
    let (tokens, significant) = (&scan.tokens, &scan.significant);
    // (first token index, last token index, the text replacing them).
    let mut replaced: Vec<(usize, usize, String)> = Vec::new();
    let text_of = |range: &Range<usize>| -> String {
        tokens[significant[range.start]..=significant[range.end - 1]]
            .iter()
            .map(|token| token.to_string())
            .collect()
    };
    let quoted = |marker: &str, text: String| format!("\"{marker}{}\"", text.replace('"', "\"\""));
    for at in 0..significant.len() {
        if !(scan.word(at, "on") && scan.word(at + 1, "conflict")) {
            continue;
        }
        let open = at + 2;
        let Some((terms, close)) = target_terms(&scan, open) else {
            continue;
        };
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
        if filter.is_none() && terms.iter().all(named) {
            continue;
        }
        if terms.iter().any(|range| range.is_empty()) {
            // Left for the parser to report.
            continue;
        }
        let mut list: Vec<String> = terms
            .iter()
            .map(|range| quoted(CONFLICT_TERM_MARKER, text_of(range)))
            .collect();
        if let Some(filter) = &filter {
            list.push(quoted(CONFLICT_WHERE_MARKER, text_of(filter)));
        }
        let last = filter.map_or(close, |filter| filter.end - 1);
        replaced.push((
            significant[open],
            significant[last],
            format!("({})", list.join(", ")),
        ));
    }
    if replaced.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(sql.len() + 64);
    let mut skip_to = None;
    for (index, token) in tokens.iter().enumerate() {
        if skip_to.is_some_and(|last| index <= last) {
            continue;
        }
        match replaced.iter().find(|(first, _, _)| *first == index) {
            Some((_, last, text)) => {
                out.push_str(text);
                skip_to = Some(*last);
            }
            None => out.push_str(&token.to_string()),
        }
    }
    Some(out)
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
