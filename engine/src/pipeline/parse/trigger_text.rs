//! The text of `CREATE TRIGGER` statements: `IF NOT EXISTS`, which sqlparser does not take
//! after `TRIGGER`, is carried through it as `OR ALTER` (a form SQLite does not have, so a
//! statement that writes it is refused here first); and the text SQLite keeps for a trigger
//! (`CREATE TRIGGER ` then the statement as written from the trigger's name to its `END`).

use sqlparser::ast::{ConditionalStatements, CreateTrigger};
use sqlparser::tokenizer::{Token, Tokenizer};

use crate::dialect::EmberDialect;
use crate::error::{Error, ErrorKind, Result};

/// `sql` with each `CREATE [TEMP] TRIGGER IF NOT EXISTS` written `CREATE OR ALTER [TEMP]
/// TRIGGER`; `Ok(None)` when nothing changes. A `CREATE OR ALTER` / `CREATE OR REPLACE`
/// written in `sql` is a syntax error, as in SQLite.
pub(super) fn rewrite_if_not_exists(sql: &str) -> Result<Option<String>> {
    if !sql.to_ascii_lowercase().contains("trigger") {
        return Ok(None);
    }
    let Ok(tokens) = Tokenizer::new(&EmberDialect::default(), sql).tokenize() else {
        return Ok(None);
    };
    // The significant tokens' positions, to look ahead past white space and comments.
    let significant: Vec<usize> = (0..tokens.len())
        .filter(|&at| !matches!(tokens[at], Token::Whitespace(_)))
        .collect();
    let word = |at: Option<&usize>, expected: &str| {
        matches!(at.map(|&at| &tokens[at]),
            Some(Token::Word(word)) if word.quote_style.is_none()
                && word.value.eq_ignore_ascii_case(expected))
    };
    let mut rewritten: Vec<(usize, usize, &str)> = Vec::new();
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
            // `CREATE` stays; `OR ALTER` goes in before TEMP / TRIGGER; `IF NOT EXISTS` goes.
            let (&create, &if_word, &exists) =
                (at, next(2 + temp).unwrap(), next(4 + temp).unwrap());
            rewritten.push((create + 1, create + 1, " OR ALTER"));
            rewritten.push((if_word, exists + 1, ""));
        }
    }
    if rewritten.is_empty() {
        return Ok(None);
    }
    let mut out = String::with_capacity(sql.len());
    let mut pending = rewritten.iter().peekable();
    let mut position = 0;
    while position < tokens.len() {
        if let Some(&&(from, to, text)) = pending.peek() {
            if from == position {
                out.push_str(text);
                pending.next();
                if to > position {
                    position = to;
                }
                continue;
            }
        }
        out.push_str(&tokens[position].to_string());
        position += 1;
    }
    Ok(Some(out))
}

/// The text SQLite keeps for `create` (parsed from `text`): `CREATE TRIGGER ` and the
/// statement from the trigger's name through its body's `END`.
pub(super) fn trigger_creation_text(text: &str, create: &CreateTrigger) -> Option<String> {
    let name = create.name.0.first()?.as_ident()?;
    let start = super::byte_offset(text, name.span.start)?;
    let Some(ConditionalStatements::BeginEnd(body)) = &create.statements else {
        return None;
    };
    let end = super::byte_offset(text, body.end_token.0.span.end)?;
    let kept = text.get(start..end)?;
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
