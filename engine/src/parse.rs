//! The sqlparser wrapper: one dialect (`dialect::EmberDialect`), the size and nesting limits, and
//! parser errors mapped to `ErrorKind::Syntax` (or `Limit` for the recursion limit). One
//! extension: a bare `CHECKPOINT` statement (which sqlparser does not know) becomes `PRAGMA
//! wal_checkpoint`.

use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, Tokenizer};

use crate::ast_drop::Parsed;
use crate::dialect::EmberDialect;
use crate::error::{Error, ErrorKind, Result};
use crate::limits::{EXPR_DEPTH_MAX, SQL_BYTES_MAX};

/// Parses SQL text holding zero or more `;`-separated statements.
pub fn parse_statements(sql: &str) -> Result<Parsed> {
    if sql.len() > SQL_BYTES_MAX {
        return Err(crate::err!(
            Limit,
            "SQL text of {} bytes exceeds the limit of {SQL_BYTES_MAX} bytes",
            sql.len()
        ));
    }
    let dialect = EmberDialect::default();
    let rewritten = rewrite_checkpoint(sql);
    Parser::new(&dialect)
        .with_recursion_limit(EXPR_DEPTH_MAX)
        .try_with_sql(rewritten.as_deref().unwrap_or(sql))
        .and_then(|mut parser| parser.parse_statements())
        .map(|statements| Parsed::new(statements, sql.len()))
        .map_err(map_parser_error)
}

/// Rewrites statements that are exactly the word `CHECKPOINT` into `PRAGMA wal_checkpoint`;
/// `None` when there are none.
fn rewrite_checkpoint(sql: &str) -> Option<String> {
    if !sql.to_ascii_lowercase().contains("checkpoint") {
        return None;
    }
    let tokens = Tokenizer::new(&EmberDialect::default(), sql)
        .tokenize()
        .ok()?;
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
            _ => at_start = false,
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
    fn several_statements_parse() {
        assert_eq!(parse_statements("SELECT 1; SELECT 2;").unwrap().len(), 2);
    }
}
