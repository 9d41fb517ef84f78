//! Query clauses sqlparser parses that EmberDB refuses before binding: the clauses of other
//! dialects (FETCH, FOR UPDATE, SETTINGS, FORMAT, pipe operators), named as unsupported,
//! and the shapes SQLite's grammar has no place for, refused with SQLite's syntax error: an
//! ORDER BY or LIMIT after a VALUES list (SQLite gives them to a SELECT core only, so
//! `VALUES (1), (2) ORDER BY 1` and `SELECT 1 UNION VALUES (2) LIMIT 1` do not parse there),
//! column names on a subquery's alias (`(SELECT ..) AS v(x)`), and an upsert right after an
//! INSERT's SELECT that ends with its FROM clause (SQLite's parser takes that `ON` for a
//! join constraint: its documented ambiguity, which `WHERE true` before the upsert settles).

use sqlparser::ast::{self, SetExpr};

use crate::error::{unsupported, Error, ErrorKind, Result};

/// Refuses the clauses of `query` itself (not of its subqueries) that SQLite has no
/// grammar for.
pub(super) fn refuse_foreign_clauses(query: &ast::Query) -> Result<()> {
    if query.fetch.is_some() || !query.locks.is_empty() || query.for_clause.is_some() {
        return Err(unsupported("FETCH / FOR UPDATE clauses"));
    }
    if query.settings.is_some() || query.format_clause.is_some() {
        return Err(unsupported("SETTINGS / FORMAT clauses"));
    }
    if !query.pipe_operators.is_empty() {
        return Err(unsupported("pipe operators"));
    }
    if matches!(last_term(query), SetExpr::Values(_)) {
        let clause = match (&query.order_by, &query.limit_clause) {
            (Some(_), _) => Some("ORDER"),
            (None, Some(ast::LimitClause::OffsetCommaLimit { .. })) => Some("LIMIT"),
            (None, Some(ast::LimitClause::LimitOffset { limit, .. })) => {
                Some(if limit.is_some() { "LIMIT" } else { "OFFSET" })
            }
            (None, None) => None,
        };
        if let Some(clause) = clause {
            return Err(near_syntax_error(clause));
        }
    }
    Ok(())
}

/// Refuses column names on the alias of a subquery in FROM, as SQLite's grammar does.
pub(super) fn refuse_alias_columns(alias: Option<&ast::TableAlias>) -> Result<()> {
    match alias {
        Some(alias) if !alias.columns.is_empty() => Err(near_syntax_error("(")),
        _ => Ok(()),
    }
}

/// Refuses an upsert after `source`, an INSERT's query, when the query ends with its FROM
/// clause (its last term's, with no WHERE, GROUP BY, HAVING, WINDOW, ORDER BY or LIMIT
/// after it), as SQLite's parser does.
pub(super) fn refuse_upsert_after_from(source: Option<&ast::Query>) -> Result<()> {
    let Some(query) = source else {
        return Ok(());
    };
    if query.order_by.is_some() || query.limit_clause.is_some() {
        return Ok(());
    }
    let SetExpr::Select(select) = last_term(query) else {
        return Ok(());
    };
    let ends_with_from = !select.from.is_empty()
        && select.selection.is_none()
        && !super::aggregate::has_group_by(select)
        && select.having.is_none()
        && select.named_window.is_empty();
    match ends_with_from {
        true => Err(near_syntax_error("DO")),
        false => Ok(()),
    }
}

/// The last term of `query`'s body: the body itself, or a compound's rightmost SELECT or
/// VALUES (the one a trailing ORDER BY or LIMIT follows in the text).
fn last_term(query: &ast::Query) -> &SetExpr {
    let mut term = query.body.as_ref();
    while let SetExpr::SetOperation { right, .. } = term {
        term = right;
    }
    term
}

/// SQLite's message for a token its grammar does not expect.
fn near_syntax_error(token: &str) -> Error {
    Error::new(ErrorKind::Syntax, format!("near \"{token}\": syntax error"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(sql: &str) -> ast::Query {
        let parsed = crate::parse::parse_statements(sql).unwrap();
        match parsed.first() {
            Some(ast::Statement::Query(query)) => (**query).clone(),
            other => panic!("not a query: {other:?}"),
        }
    }

    fn refusal(sql: &str) -> Option<String> {
        refuse_foreign_clauses(&query(sql))
            .err()
            .map(|error| error.message().to_string())
    }

    #[test]
    fn values_take_no_order_by_or_limit() {
        let order = Some("near \"ORDER\": syntax error".to_string());
        let limit = Some("near \"LIMIT\": syntax error".to_string());
        assert_eq!(refusal("VALUES (1), (2) ORDER BY 1"), order);
        assert_eq!(refusal("VALUES (1) LIMIT 1"), limit);
        assert_eq!(refusal("SELECT 1 UNION VALUES (2) ORDER BY 1"), order);
        assert_eq!(refusal("SELECT 1 UNION ALL VALUES (2), (3) LIMIT 1"), limit);
    }

    #[test]
    fn an_upsert_cannot_follow_a_from_clause() {
        let refused = |sql: &str| refuse_upsert_after_from(Some(&query(sql))).is_err();
        assert!(refused("SELECT a FROM t"));
        assert!(refused("SELECT 1 UNION SELECT a FROM t AS x"));
        assert!(!refused("SELECT a FROM t WHERE true"));
        assert!(!refused("SELECT a FROM t ORDER BY a"));
        assert!(!refused("SELECT a FROM t GROUP BY a"));
        assert!(!refused("SELECT 1"));
        assert!(!refused("VALUES (1)"));
    }

    #[test]
    fn a_select_last_keeps_its_order_by_and_limit() {
        assert_eq!(
            refusal("VALUES (2) UNION SELECT 1 ORDER BY 1 LIMIT 1"),
            None
        );
        assert_eq!(refusal("SELECT * FROM (VALUES (2), (1)) ORDER BY 1"), None);
        assert_eq!(refusal("VALUES (1), (2)"), None);
    }
}
