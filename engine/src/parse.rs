//! The sqlparser wrapper: one dialect, the size and nesting limits, and parser errors mapped
//! to `ErrorKind::Syntax` (or `Limit` for the recursion limit).

use sqlparser::ast::Statement;
use sqlparser::dialect::SQLiteDialect;
use sqlparser::parser::{Parser, ParserError};

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
    let dialect = SQLiteDialect {};
    Parser::new(&dialect)
        .with_recursion_limit(EXPR_DEPTH_MAX)
        .try_with_sql(sql)
        .and_then(|mut parser| parser.parse_statements())
        .map_err(map_parser_error)
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
    fn several_statements_parse() {
        assert_eq!(parse_statements("SELECT 1; SELECT 2;").unwrap().len(), 2);
    }
}
