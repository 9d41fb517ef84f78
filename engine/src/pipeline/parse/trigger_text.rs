//! The text of `CREATE TRIGGER` statements: `IF NOT EXISTS`, which sqlparser does not take
//! after `TRIGGER`, is carried through it as `OR ALTER` (a form SQLite does not have, so a
//! statement that writes it is refused here first); and the text SQLite keeps for a trigger
//! (`CREATE TRIGGER ` then the statement as written from the trigger's name to its `END`).

use sqlparser::ast::{ConditionalStatements, CreateTrigger};
use sqlparser::tokenizer::{Token, Tokenizer};

use crate::dialect::EmberDialect;
use crate::error::{Error, ErrorKind, Result};

use super::byte_offset;

/// `sql` with each `CREATE [TEMP] TRIGGER IF NOT EXISTS` written `CREATE OR ALTER [TEMP]
/// TRIGGER`; `Ok(None)` when nothing changes. A `CREATE OR ALTER` / `CREATE OR REPLACE`
/// written in `sql` is a syntax error, as in SQLite.
pub(super) fn rewrite_if_not_exists(sql: &str) -> Result<Option<String>> {
    if !sql.to_ascii_lowercase().contains("trigger") {
        return Ok(None);
    }
    let Ok(tokens) = Tokenizer::new(&EmberDialect::default(), sql).tokenize_with_location() else {
        return Ok(None);
    };
    // The significant tokens' positions, to look ahead past white space and comments.
    let significant: Vec<usize> = (0..tokens.len())
        .filter(|&at| !matches!(tokens[at].token, Token::Whitespace(_)))
        .collect();
    let word = |at: Option<&usize>, expected: &str| {
        matches!(at.map(|&at| &tokens[at].token),
            Some(Token::Word(word)) if word.quote_style.is_none()
                && word.value.eq_ignore_ascii_case(expected))
    };
    // Byte ranges of `sql` to replace, in order, with their new text.
    let mut edits: Vec<(usize, usize, &str)> = Vec::new();
    for (index, at) in significant.iter().enumerate() {
        if !word(Some(at), "create") {
            continue;
        }
        let next = |offset: usize| significant.get(index + offset);
        let or_clause = word(next(1), "or") && (word(next(2), "alter") || word(next(2), "replace"));
        let after_or = if or_clause { 2 } else { 0 };
        let temp =
            usize::from(word(next(1 + after_or), "temp") || word(next(1 + after_or), "temporary"));
        if or_clause && word(next(3 + temp), "trigger") {
            return Err(Error::new(ErrorKind::Syntax, "near \"OR\": syntax error"));
        }
        if word(next(1 + temp), "trigger")
            && word(next(2 + temp), "if")
            && word(next(3 + temp), "not")
            && word(next(4 + temp), "exists")
        {
            let offset = |at: usize, end: bool| {
                let span = tokens[at].span;
                byte_offset(sql, if end { span.end } else { span.start })
            };
            let (Some(create_end), Some(if_start), Some(exists_end)) = (
                offset(*at, true),
                next(2 + temp).and_then(|&at| offset(at, false)),
                next(4 + temp).and_then(|&at| offset(at, true)),
            ) else {
                return Ok(None);
            };
            // `OR ALTER` goes in after CREATE; `IF NOT EXISTS` goes.
            edits.push((create_end, create_end, " OR ALTER"));
            edits.push((if_start, exists_end, ""));
        }
    }
    if edits.is_empty() {
        return Ok(None);
    }
    let mut out = String::with_capacity(sql.len() + 16);
    let mut copied = 0;
    for (start, end, text) in edits {
        out.push_str(&sql[copied..start]);
        out.push_str(text);
        copied = end;
    }
    out.push_str(&sql[copied..]);
    Ok(Some(out))
}

/// The text SQLite keeps for `create` (parsed from `text`): `CREATE TRIGGER ` and the
/// statement from the trigger's name through its body's `END`.
pub(super) fn trigger_creation_text(text: &str, create: &CreateTrigger) -> Option<String> {
    // The trigger's own name: SQLite keeps no `main.` or `temp.` qualifier in the text.
    let name = create.name.0.last()?.as_ident()?;
    let start = super::byte_offset(text, name.span.start)?;
    let Some(ConditionalStatements::BeginEnd(body)) = &create.statements else {
        return None;
    };
    let end = super::byte_offset(text, body.end_token.0.span.end)?;
    let kept = text.get(start..end)?;
    // An upsert's conflict target and a run of upsert clauses rewritten before parsing,
    // as written.
    let kept = super::conflict_target::restore_conflict_targets(kept);
    let kept = super::upsert_chain::restore_upsert_chains(&kept);
    Some(format!("CREATE TRIGGER {kept}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_not_exists_becomes_or_alter() {
        let sql = "create trigger if not exists tr after insert on t begin select 1; end;";
        assert_eq!(
            rewrite_if_not_exists(sql).unwrap().as_deref(),
            Some("create OR ALTER trigger  tr after insert on t begin select 1; end;")
        );
        let temp = "CREATE TEMP TRIGGER IF NOT EXISTS x AFTER INSERT ON t BEGIN SELECT 1; END";
        assert_eq!(
            rewrite_if_not_exists(temp).unwrap().as_deref(),
            Some("CREATE OR ALTER TEMP TRIGGER  x AFTER INSERT ON t BEGIN SELECT 1; END")
        );
    }

    #[test]
    fn other_text_is_left_alone() {
        let plain = "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 'if not exists'; END";
        assert_eq!(rewrite_if_not_exists(plain).unwrap(), None);
        assert_eq!(rewrite_if_not_exists("SELECT 1").unwrap(), None);
    }

    #[test]
    fn or_alter_and_or_replace_are_syntax_errors() {
        for sql in [
            "CREATE OR ALTER TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END",
            "create or replace trigger tr after insert on t begin select 1; end",
        ] {
            let error = rewrite_if_not_exists(sql).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::Syntax, "{sql}");
        }
    }
}
