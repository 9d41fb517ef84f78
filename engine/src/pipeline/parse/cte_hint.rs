//! `WITH name AS [NOT] MATERIALIZED (query)`: SQLite's hints on how to run a CTE, which
//! sqlparser parses only in its PostgreSQL dialect. Before parsing, the hint is removed from
//! the SQL text. Results never depend on it: a CTE that reads no enclosing row is evaluated
//! once however often it is read (`CteScan`, "materialized once" in EXPLAIN), which is what
//! MATERIALIZED asks; NOT MATERIALIZED leaves the choice to the engine, as in SQLite, and
//! the engine makes the same one.

use sqlparser::tokenizer::Token;

use super::token_scan::TokenScan;

/// `sql` with every CTE hint removed, or `None` when there is none.
pub(super) fn rewrite_cte_hints(sql: &str) -> Option<String> {
    let scan = TokenScan::of_sql_containing(sql, "materialized")?;
    let (tokens, significant) = (&scan.tokens, &scan.significant);
    let word = |at: usize, keyword: &str| scan.word(at, keyword);
    let mut dropped: Vec<usize> = Vec::new();
    for at in 0..significant.len() {
        if !word(at, "as") {
            continue;
        }
        let length = if word(at + 1, "materialized") {
            1
        } else if word(at + 1, "not") && word(at + 2, "materialized") {
            2
        } else {
            continue;
        };
        // Only before the CTE's parenthesized body.
        if scan.is(at + 1 + length, &Token::LParen) {
            dropped.extend(significant[at + 1..at + 1 + length].iter().copied());
        }
    }
    if dropped.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(sql.len());
    for (index, token) in tokens.iter().enumerate() {
        if !dropped.contains(&index) {
            out.push_str(&token.to_string());
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_hints_are_removed_before_the_body() {
        let sql = "WITH a AS MATERIALIZED (SELECT 1), b(x) AS NOT MATERIALIZED (SELECT 2) \
                   SELECT * FROM a, b";
        let rewritten = rewrite_cte_hints(sql).expect("rewritten");
        assert!(!rewritten.to_ascii_lowercase().contains("materialized"));
        assert!(rewritten.contains("a AS  (SELECT 1)"), "{rewritten}");
        assert!(rewritten.contains("b(x) AS   (SELECT 2)"), "{rewritten}");
    }

    #[test]
    fn other_uses_of_the_word_are_kept() {
        assert!(rewrite_cte_hints("SELECT 1 AS materialized").is_none());
        assert!(rewrite_cte_hints("SELECT 'AS MATERIALIZED ('").is_none());
        assert!(rewrite_cte_hints("WITH x AS (SELECT 1) SELECT * FROM x").is_none());
    }
}
