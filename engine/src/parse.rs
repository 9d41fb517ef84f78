//! The sqlparser wrapper: one dialect (`dialect::EmberDialect`), the size and nesting limits,
//! and parser errors mapped to `ErrorKind::Syntax` (or `Limit` for the recursion limit). Two
//! SQLite forms sqlparser does not know are rewritten at the token level first: a bare
//! `CHECKPOINT` statement becomes `PRAGMA wal_checkpoint`, and `x IN table` becomes
//! `x IN (SELECT * FROM table)`.

use sqlparser::ast::Statement;
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, Tokenizer};

use crate::dialect::EmberDialect;
use crate::error::{Error, ErrorKind, Result};
use crate::limits::{EXPR_DEPTH_MAX, SQL_BYTES_MAX};

/// Parses SQL text holding zero or more `;`-separated statements.
pub fn parse_statements(sql: &str) -> Result<Vec<Statement>> {
    if sql.len() > SQL_BYTES_MAX {
        return Err(crate::err!(
            Limit,
            "SQL text of {} bytes exceeds the limit of {SQL_BYTES_MAX} bytes",
            sql.len()
        ));
    }
    let dialect = EmberDialect::default();
    let rewritten = rewrite(sql);
    Parser::new(&dialect)
        .with_recursion_limit(EXPR_DEPTH_MAX)
        .try_with_sql(rewritten.as_deref().unwrap_or(sql))
        .and_then(|mut parser| parser.parse_statements())
        .map_err(map_parser_error)
}

/// Whether `sql` may hold `IN <name>`: the word IN followed by blanks and a name start.
fn may_have_in_table(sql: &str) -> bool {
    let bytes = sql.as_bytes();
    (1..bytes.len().saturating_sub(2)).any(|i| {
        bytes[i].eq_ignore_ascii_case(&b'i')
            && bytes[i + 1].eq_ignore_ascii_case(&b'n')
            && !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_')
            && bytes[i + 2].is_ascii_whitespace()
            && bytes[i + 2..]
                .iter()
                .find(|b| !b.is_ascii_whitespace())
                .is_some_and(|b| b.is_ascii_alphabetic() || matches!(b, b'_' | b'"' | b'`' | b'['))
    })
}

/// Rewrites statements that are exactly the word `CHECKPOINT` into `PRAGMA wal_checkpoint`
/// and `IN name` (not followed by `(` or `.`) into `IN (SELECT * FROM name)`; `None` when
/// there is nothing to rewrite.
fn rewrite(sql: &str) -> Option<String> {
    if !sql.to_ascii_lowercase().contains("checkpoint") && !may_have_in_table(sql) {
        return None;
    }
    let tokens = Tokenizer::new(&EmberDialect::default(), sql)
        .tokenize()
        .ok()?;
    let next_significant = |from: usize| {
        tokens[from..]
            .iter()
            .position(|t| !matches!(t, Token::Whitespace(_)))
            .map(|offset| from + offset)
    };
    let mut in_table_end = None;
    let mut out = String::with_capacity(sql.len() + 16);
    let mut at_start = true;
    let mut changed = false;
    for (position, token) in tokens.iter().enumerate() {
        match token {
            Token::Whitespace(_) => {}
            Token::SemiColon => at_start = true,
            Token::Word(word)
                if at_start
                    && word.quote_style.is_none()
                    && word.value.eq_ignore_ascii_case("checkpoint")
                    && tokens[position + 1..]
                        .iter()
                        .find(|t| !matches!(t, Token::Whitespace(_)))
                        .is_none_or(|t| matches!(t, Token::SemiColon | Token::EOF)) =>
            {
                out.push_str("PRAGMA wal_checkpoint");
                changed = true;
                at_start = false;
                continue;
            }
            Token::Word(word) if word.keyword == Keyword::IN && word.quote_style.is_none() => {
                at_start = false;
                let name = next_significant(position + 1).filter(|&at| {
                    matches!(&tokens[at], Token::Word(w)
                        if w.keyword == Keyword::NoKeyword || w.quote_style.is_some())
                });
                let after = name.and_then(|at| next_significant(at + 1));
                let is_table =
                    after.is_none_or(|at| !matches!(tokens[at], Token::LParen | Token::Period));
                if let (true, Some(name)) = (is_table, name) {
                    out.push_str("IN (SELECT * FROM ");
                    out.push_str(&tokens[name].to_string());
                    out.push(')');
                    in_table_end = Some(name);
                    changed = true;
                    continue;
                }
            }
            _ => at_start = false,
        }
        if let Some(end) = in_table_end {
            if position <= end {
                continue;
            }
            in_table_end = None;
        }
        out.push_str(&token.to_string());
    }
    changed.then_some(out)
}

fn map_parser_error(error: ParserError) -> Error {
    match error {
        ParserError::RecursionLimitExceeded => Error::new(
            ErrorKind::Limit,
            format!("statement nests deeper than the limit of {EXPR_DEPTH_MAX}"),
        ),
        ParserError::TokenizerError(message) | ParserError::ParserError(message) => {
            Error::new(ErrorKind::Syntax, format!("syntax error: {message}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_have_the_syntax_kind() {
        let error = parse_statements("SELEC 1").unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Syntax);
        assert!(error.message().starts_with("syntax error"), "{error}");
    }

    #[test]
    fn deep_nesting_is_a_limit_error() {
        let sql = format!("SELECT {}1{}", "(".repeat(100_000), ")".repeat(100_000));
        assert_eq!(parse_statements(&sql).unwrap_err().kind(), ErrorKind::Limit);
        // sqlparser backtracks out of the recursion limit on a NOT chain and reports where it
        // stopped as a syntax error; either way it is an error, returned quickly.
        let sql = format!("SELECT {}1", "NOT ".repeat(100_000));
        let kind = parse_statements(&sql).unwrap_err().kind();
        assert!(
            matches!(kind, ErrorKind::Limit | ErrorKind::Syntax),
            "{kind:?}"
        );
    }

    #[test]
    fn checkpoint_becomes_a_pragma() {
        let statements = parse_statements("CHECKPOINT; select 'checkpoint'; checkpoint").unwrap();
        assert_eq!(statements.len(), 3);
        assert_eq!(statements[0].to_string(), "PRAGMA wal_checkpoint");
        assert_eq!(statements[1].to_string(), "SELECT 'checkpoint'");
        assert!(parse_statements("CHECKPOINT x").is_err());
    }

    #[test]
    fn in_a_table_becomes_in_a_subquery() {
        let statements = parse_statements("SELECT 1 IN t1, 2 NOT IN \"t 2\", 3 IN (1) FROM x")
            .unwrap_or_else(|e| panic!("{e}"));
        let text = statements[0].to_string();
        assert!(text.contains("1 IN (SELECT * FROM t1)"), "{text}");
        assert!(text.contains("2 NOT IN (SELECT * FROM \"t 2\")"), "{text}");
        assert!(text.contains("3 IN (1)"), "{text}");
        assert_eq!(rewrite("SELECT 4 IN f(1), 5 IN s.t"), None);
        assert_eq!(
            rewrite("SELECT 1 IN t").as_deref(),
            Some("SELECT 1 IN (SELECT * FROM t)")
        );
        assert!(!may_have_in_table("SELECT a FROM t WHERE a IN (1, 2)"));
        assert!(!may_have_in_table("SELECT min(x) FROM join_in"));
    }

    #[test]
    fn several_statements_parse() {
        assert_eq!(parse_statements("SELECT 1; SELECT 2;").unwrap().len(), 2);
    }
}
