//! The sqlparser wrapper: one dialect (`dialect::EmberDialect`), the size and nesting limits, and
//! parser errors mapped to `ErrorKind::Syntax` (or `Limit` for the recursion limit, also when
//! the parser reports passing it as a syntax error elsewhere: see `nesting_depth`). One
//! Extensions sqlparser does not know: a bare `CHECKPOINT` statement becomes `PRAGMA
//! wal_checkpoint`, SQLite's `REINDEX [name]` becomes `PRAGMA reindex[('name')]`
//! (`session/maintenance_pragmas.rs`), a table's `INDEXED BY name` / `NOT INDEXED` become
//! the table hints `WITH (INDEXED_BY_HINT("name"))` / `WITH (NOT_INDEXED_HINT)`
//! (`bind/from.rs`), and unquoted PRAGMA values (`PRAGMA synchronous = OFF`) are quoted.
//! SQLite syntax it does not parse is rewritten first (parse/: frame EXCLUDE, CTE hints,
//! `CREATE TRIGGER IF NOT EXISTS`, several upsert clauses, conflict targets of expressions,
//! a table constraint's conflict clause).

mod conflict_target;
mod constraint_conflict;
mod creation_text;
mod cte_hint;
pub(crate) use creation_text::byte_offset;
mod exclude;
mod literal_shape;
mod token_scan;
pub use literal_shape::{insert_shape, LiteralShape};
mod trigger_text;
mod upsert_chain;

pub(crate) use conflict_target::{CONFLICT_TERM_MARKER, CONFLICT_WHERE_MARKER};
pub(crate) use constraint_conflict::{declared_action, CONSTRAINT_CONFLICT_MARKER};
pub(crate) use exclude::FRAME_EXCLUDE_MARKER;
pub(crate) use upsert_chain::UPSERT_CLAUSE_MARKER;

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
    let dialect = EmberDialect::for_sql(sql);
    let rewritten = rewrite_extensions(sql);
    // Window frames' EXCLUDE clauses (parse/exclude.rs).
    let rewritten =
        exclude::rewrite_frame_exclusions(rewritten.as_deref().unwrap_or(sql)).or(rewritten);
    // `WITH x AS [NOT] MATERIALIZED (..)` (parse/cte_hint.rs).
    let rewritten = cte_hint::rewrite_cte_hints(rewritten.as_deref().unwrap_or(sql)).or(rewritten);
    // `CREATE TRIGGER IF NOT EXISTS` (parse/trigger_text.rs).
    let rewritten =
        trigger_text::rewrite_if_not_exists(rewritten.as_deref().unwrap_or(sql))?.or(rewritten);
    // Several upsert clauses on one INSERT (parse/upsert_chain.rs).
    let rewritten =
        upsert_chain::rewrite_upsert_chains(rewritten.as_deref().unwrap_or(sql)).or(rewritten);
    // `ON CONFLICT(expr, ..) [WHERE ..]` (parse/conflict_target.rs).
    let rewritten = conflict_target::rewrite_conflict_targets(rewritten.as_deref().unwrap_or(sql))
        .or(rewritten);
    // A table constraint's `ON CONFLICT action` (parse/constraint_conflict.rs).
    let rewritten =
        constraint_conflict::rewrite_constraint_conflicts(rewritten.as_deref().unwrap_or(sql))
            .or(rewritten);
    let text = rewritten.as_deref().unwrap_or(sql);
    Parser::new(&dialect)
        .with_recursion_limit(EXPR_DEPTH_MAX)
        .try_with_sql(text)
        .and_then(|mut parser| parser.parse_statements())
        .map(|statements| {
            let creation_texts = creation_texts(&dialect, text, &statements);
            Parsed::new(statements, sql.len()).with_creation_texts(creation_texts)
        })
        .map_err(
            |error| match (map_parser_error(error), nesting_depth(sql)) {
                // The parser reports some recursion-limit hits (deep CASE, long NOT chains) as
                // a syntax error somewhere else; the nesting is the cause.
                (error, Some((depth, what))) if error.kind() == ErrorKind::Syntax => Error::new(
                    ErrorKind::Limit,
                    format!(
                        "statement nests deeper than the limit of {EXPR_DEPTH_MAX}: {what} nested \
                     {depth} deep"
                    ),
                ),
                (error, _) => error,
            },
        )
}

/// One expression's SQL text (all of `text`), parsed.
pub(crate) fn parse_expression(text: &str) -> Result<sqlparser::ast::Expr> {
    let dialect = EmberDialect::for_sql(text);
    Parser::new(&dialect)
        .with_recursion_limit(EXPR_DEPTH_MAX)
        .try_with_sql(text)
        .and_then(|mut parser| {
            let expr = parser.parse_expr()?;
            parser.expect_token(&Token::EOF)?;
            Ok(expr)
        })
        .map_err(map_parser_error)
}

/// Each statement's kept CREATE text (`creation_text.rs`); empty when none is a CREATE
/// TABLE, INDEX, VIEW or TRIGGER or an ALTER TABLE.
fn creation_texts(
    dialect: &EmberDialect,
    text: &str,
    statements: &[sqlparser::ast::Statement],
) -> Vec<Option<String>> {
    use sqlparser::ast::Statement;
    let creates = statements.iter().any(|statement| {
        matches!(
            statement,
            Statement::CreateTable(_)
                | Statement::CreateIndex(_)
                | Statement::CreateView(_)
                | Statement::CreateTrigger(_)
                | Statement::AlterTable(_)
        )
    });
    if !creates {
        return Vec::new();
    }
    statements
        .iter()
        .map(|statement| creation_text::creation_text(dialect, text, statement))
        .collect()
}

/// The deepest nesting of `sql`'s tokens past `EXPR_DEPTH_MAX`, if any, and what nests:
/// parentheses and CASE .. END open a level each, and a run of prefix operators (NOT, -, +,
/// ~) adds one level per operator. `None` when within the limit (or not tokenizable).
fn nesting_depth(sql: &str) -> Option<(usize, &'static str)> {
    let tokens = Tokenizer::new(&EmberDialect::default(), sql)
        .tokenize()
        .ok()?;
    let (mut parens, mut cases, mut prefix_run) = (0usize, 0usize, 0usize);
    let mut deepest = (0, "");
    let mut previous_is_operand = false;
    for token in tokens.iter().filter(|t| !matches!(t, Token::Whitespace(_))) {
        let keyword = match token {
            Token::Word(word) if word.quote_style.is_none() => word.value.to_ascii_uppercase(),
            _ => String::new(),
        };
        let prefix = !previous_is_operand
            && (keyword == "NOT" || matches!(token, Token::Minus | Token::Plus | Token::Tilde));
        prefix_run = if prefix { prefix_run + 1 } else { 0 };
        match (token, keyword.as_str()) {
            (Token::LParen, _) => parens += 1,
            (Token::RParen, _) => parens = parens.saturating_sub(1),
            (_, "CASE") => cases += 1,
            (_, "END") => cases = cases.saturating_sub(1),
            _ => {}
        }
        let levels = [
            (parens, "parentheses"),
            (cases, "CASE expressions"),
            (prefix_run, "prefix operators (NOT, -, +, ~)"),
            (parens + cases + prefix_run, "expressions"),
        ];
        for level in levels {
            if level.0 > deepest.0 {
                deepest = level;
            }
        }
        previous_is_operand = matches!(
            token,
            Token::Number(..) | Token::SingleQuotedString(_) | Token::RParen
        ) || (matches!(token, Token::Word(_))
            && !matches!(
                keyword.as_str(),
                "NOT"
                    | "AND"
                    | "OR"
                    | "SELECT"
                    | "WHERE"
                    | "WHEN"
                    | "THEN"
                    | "ELSE"
                    | "CASE"
                    | "ON"
                    | "HAVING"
                    | "BY"
                    | "IS"
                    | "IN"
                    | "LIKE"
                    | "BETWEEN"
                    | "SET"
                    | "VALUES"
            ));
    }
    (deepest.0 > EXPR_DEPTH_MAX).then_some(deepest)
}

/// Rewrites what sqlparser does not take into what it does; `None` when nothing changes:
/// statements that are exactly the word `CHECKPOINT` become `PRAGMA wal_checkpoint`, and a
/// PRAGMA's unquoted word value (`PRAGMA synchronous = OFF`, `PRAGMA synchronous(OFF)`, as
/// sqlite3 takes them) becomes a quoted one (`'OFF'`), as does a signed number (`'-3'`).
fn rewrite_extensions(sql: &str) -> Option<String> {
    let lower = sql.to_ascii_lowercase();
    let words = ["checkpoint", "pragma", "reindex", "indexed"];
    if !words.iter().any(|word| lower.contains(word)) {
        return None;
    }
    let tokens = Tokenizer::new(&EmberDialect::default(), sql)
        .tokenize()
        .ok()?;
    let mut out = String::with_capacity(sql.len() + 16);
    let mut at_start = true;
    let mut changed = false;
    // Within a PRAGMA: whether the last significant token was its `=` or `(`.
    let (mut in_pragma, mut after_assign) = (false, false);
    let mut skip_next = false;
    // The rest of a REINDEX statement, written out already.
    let mut skip_statement = false;
    // Tokens up to this position were written out already (an index hint's).
    let mut skip_through = None;
    for (position, token) in tokens.iter().enumerate() {
        if std::mem::take(&mut skip_next) {
            continue;
        }
        if skip_through.is_some_and(|last| position <= last) {
            continue;
        }
        if let Some((hint, last)) = index_hint(&tokens, position) {
            out.push_str(&hint);
            changed = true;
            skip_through = Some(last);
            continue;
        }
        if skip_statement && !matches!(token, Token::SemiColon | Token::EOF) {
            continue;
        }
        skip_statement = false;
        let significant = !matches!(token, Token::Whitespace(_));
        match token {
            Token::Whitespace(_) => {}
            Token::SemiColon => {
                at_start = true;
                in_pragma = false;
            }
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
            Token::Word(word)
                if at_start
                    && word.quote_style.is_none()
                    && word.value.eq_ignore_ascii_case("reindex") =>
            {
                if let Some(pragma) = reindex_pragma(&tokens[position + 1..]) {
                    out.push_str(&pragma);
                    changed = true;
                    at_start = false;
                    skip_statement = true;
                    continue;
                }
                at_start = false;
            }
            Token::Word(word) if in_pragma && after_assign && word.quote_style.is_none() => {
                out.push('\'');
                out.push_str(&word.value);
                out.push('\'');
                changed = true;
                after_assign = false;
                continue;
            }
            // A signed number (`PRAGMA user_version = -3`), which sqlparser does not take as a
            // PRAGMA value: quoted with its sign.
            Token::Minus | Token::Plus if in_pragma && after_assign => {
                if let Some(Token::Number(number, _)) = tokens.get(position + 1) {
                    out.push('\'');
                    out.push_str(&token.to_string());
                    out.push_str(number);
                    out.push('\'');
                    changed = true;
                    after_assign = false;
                    skip_next = true;
                    continue;
                }
            }
            Token::Word(word) if at_start => {
                in_pragma = word.quote_style.is_none() && word.value.eq_ignore_ascii_case("pragma");
                at_start = false;
            }
            _ => at_start = false,
        }
        if significant {
            after_assign = in_pragma && matches!(token, Token::Eq | Token::LParen);
        }
        out.push_str(&token.to_string());
    }
    changed.then_some(out)
}

/// The table hint SQLite's `INDEXED BY name` or `NOT INDEXED` starting at `tokens[at]`
/// becomes (see the file comment), and the position of its last token; `None` elsewhere.
fn index_hint(tokens: &[Token], at: usize) -> Option<(String, usize)> {
    let word = |token: &Token, expected: &str| {
        matches!(token, Token::Word(word)
            if word.quote_style.is_none() && word.value.eq_ignore_ascii_case(expected))
    };
    let next = |from: usize| {
        (from + 1..tokens.len()).find(|&position| !matches!(tokens[position], Token::Whitespace(_)))
    };
    if word(&tokens[at], "not") {
        let indexed = next(at)?;
        return word(&tokens[indexed], "indexed")
            .then(|| (format!("WITH ({NOT_INDEXED_HINT})"), indexed));
    }
    if !word(&tokens[at], "indexed") {
        return None;
    }
    let by = next(at).filter(|&by| word(&tokens[by], "by"))?;
    let name = next(by)?;
    let Token::Word(index) = &tokens[name] else {
        return None;
    };
    let quoted = index.value.replace('"', "\"\"");
    Some((format!("WITH ({INDEXED_BY_HINT}(\"{quoted}\"))"), name))
}

/// The function name of the table hint `INDEXED BY name` becomes.
pub(crate) const INDEXED_BY_HINT: &str = "ember_indexed_by";
/// The name of the table hint `NOT INDEXED` becomes.
pub(crate) const NOT_INDEXED_HINT: &str = "ember_not_indexed";

/// The PRAGMA a `REINDEX` statement becomes, from the tokens after the keyword up to the
/// statement's end: `PRAGMA reindex` for none, `PRAGMA reindex('name')` for a name (or
/// `main.name`); `None` for anything else (left to fail as a syntax error).
fn reindex_pragma(rest: &[Token]) -> Option<String> {
    let words: Vec<&Token> = rest
        .iter()
        .take_while(|token| !matches!(token, Token::SemiColon | Token::EOF))
        .filter(|token| !matches!(token, Token::Whitespace(_)))
        .collect();
    let name = match words.as_slice() {
        [] => return Some("PRAGMA reindex".to_string()),
        [Token::Word(name)] => &name.value,
        [Token::SingleQuotedString(name)] => name,
        [Token::Word(schema), Token::Period, Token::Word(name)]
            if schema.value.eq_ignore_ascii_case("main") =>
        {
            &name.value
        }
        _ => return None,
    };
    Some(format!("PRAGMA reindex('{}')", name.replace('\'', "''")))
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
        // sqlparser backtracks out of the recursion limit on a NOT chain or nested CASE and
        // reports a syntax error elsewhere; the message must still name the nesting.
        for sql in [
            format!("SELECT {}1", "NOT ".repeat(100_000)),
            format!(
                "SELECT {}1{}",
                "CASE WHEN 1 THEN ".repeat(10_000),
                " END".repeat(10_000)
            ),
        ] {
            let error = parse_statements(&sql).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::Limit, "{error}");
            assert!(error.message().contains("nested"), "{error}");
        }
        // A plain syntax error stays one.
        let error = parse_statements("SELECT NOT NOT 1 +").unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Syntax);
    }

    #[test]
    fn unquoted_pragma_values_are_taken() {
        for sql in [
            "PRAGMA synchronous = OFF",
            "pragma synchronous=normal;",
            "PRAGMA synchronous(FULL)",
            "PRAGMA user_version = -3",
            "PRAGMA application_id = +7",
        ] {
            let statements = parse_statements(sql).unwrap();
            assert!(
                statements[0].to_string().contains('\''),
                "{}",
                statements[0]
            );
        }
        let statements = parse_statements("PRAGMA user_version = -3").unwrap();
        assert_eq!(statements[0].to_string(), "PRAGMA user_version = '-3'");
        let statements = parse_statements("SELECT off FROM t WHERE a = b").unwrap();
        assert_eq!(statements[0].to_string(), "SELECT off FROM t WHERE a = b");
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
