//! The text SQLite keeps in `sqlite_schema.sql` for a CREATE TABLE, CREATE INDEX or CREATE
//! VIEW statement: its own words (`CREATE TABLE `, `CREATE [UNIQUE] INDEX `, `CREATE VIEW `)
//! followed by the statement's text as written from the object's name on, so `IF NOT
//! EXISTS` and `TEMP` drop out and everything else (spacing, case, comments inside) stays.
//! Where the text ends follows SQLite: a table's at its last token (the closing parenthesis
//! or a table option), a view's before the `;` with trailing white space trimmed, an
//! index's just before the `;` (or the end of the text). For `ALTER TABLE .. ADD COLUMN`
//! it is the column's definition as written, to its last token, which SQLite splices into
//! the table's kept text (`catalog::splice_added_column`).

use sqlparser::ast::{AlterTableOperation, ObjectName, Statement};
use sqlparser::tokenizer::{Location, Token, Tokenizer, Whitespace};

use crate::dialect::EmberDialect;

use super::FRAME_EXCLUDE_MARKER;
use super::{CONFLICT_TERM_MARKER, CONFLICT_WHERE_MARKER, CONSTRAINT_CONFLICT_MARKER};

/// Where a statement's kept text ends.
#[derive(Clone, Copy, PartialEq, Eq)]
enum End {
    /// At the end of the last token that is not white space or a comment.
    LastToken,
    /// Before the `;`, trailing white space trimmed (comments kept).
    Trimmed,
    /// Just before the `;`.
    Semicolon,
}

/// The kept text of `statement` (parsed from `text`, whose positions its spans give), or
/// `None` when it is not such a CREATE statement or its text cannot be found.
pub(super) fn creation_text(
    dialect: &EmberDialect,
    text: &str,
    statement: &Statement,
) -> Option<String> {
    let (words, start, end) = match statement {
        Statement::CreateTable(create) if create.query.is_none() => {
            ("CREATE TABLE ", name_start(&create.name)?, End::LastToken)
        }
        Statement::CreateIndex(create) => (
            if create.unique {
                "CREATE UNIQUE INDEX "
            } else {
                "CREATE INDEX "
            },
            name_start(create.name.as_ref()?)?,
            End::Semicolon,
        ),
        Statement::CreateView(create) => ("CREATE VIEW ", name_start(&create.name)?, End::Trimmed),
        Statement::CreateTrigger(create) => {
            return super::trigger_text::trigger_creation_text(text, create)
        }
        // The column ADD COLUMN splices into the table's kept text, as written.
        Statement::AlterTable(alter) => match alter.operations.as_slice() {
            [AlterTableOperation::AddColumn { column_def, .. }] => {
                let start = column_def.name.span.start;
                // To its last token: a comment after it (SQLite keeps one, and its text
                // then breaks) is left out, as is the mark recovery's scripts end with.
                (
                    "",
                    (start.line > 0 && start.column > 0).then_some(start)?,
                    End::LastToken,
                )
            }
            _ => return None,
        },
        _ => return None,
    };
    let start = byte_offset(text, start)?;
    let rest = &text[start..];
    let tokens = Tokenizer::new(dialect, rest)
        .tokenize_with_location()
        .ok()?;
    let mut end_at: Option<Location> = None;
    for token in &tokens {
        match &token.token {
            Token::SemiColon | Token::EOF => break,
            Token::Whitespace(Whitespace::Space | Whitespace::Newline | Whitespace::Tab)
                if end != End::Semicolon => {}
            Token::Whitespace(_) if end == End::LastToken => {}
            _ => end_at = Some(token.span.end),
        }
    }
    let length = match end_at {
        Some(location) => byte_offset(rest, location)?,
        None => return None,
    };
    let kept = &rest[..length];
    let kept = if end == End::Trimmed {
        kept.trim_end()
    } else {
        kept
    };
    let kept = &super::constraint_conflict::restore_constraint_conflicts(kept);
    if [
        FRAME_EXCLUDE_MARKER,
        CONFLICT_TERM_MARKER,
        CONFLICT_WHERE_MARKER,
        CONSTRAINT_CONFLICT_MARKER,
    ]
    .iter()
    .any(|marker| kept.contains(marker))
    {
        return None;
    }
    Some(format!("{words}{kept}"))
}

/// Where the first part of `name` starts.
fn name_start(name: &ObjectName) -> Option<Location> {
    // The object's own name: SQLite keeps no `temp.` qualifier in the text.
    let ident = name.0.last()?.as_ident()?;
    let start = ident.span.start;
    (start.line > 0 && start.column > 0).then_some(start)
}

/// The byte offset in `text` of a (1-based line, 1-based character column) location; the
/// end of the text for a location just past its last character.
pub(crate) fn byte_offset(text: &str, location: Location) -> Option<usize> {
    let line_start = if location.line <= 1 {
        0
    } else {
        let newline = text
            .char_indices()
            .filter(|&(_, c)| c == '\n')
            .nth(usize::try_from(location.line - 2).ok()?)?;
        newline.0 + 1
    };
    let column = usize::try_from(location.column.checked_sub(1)?).ok()?;
    let line = &text[line_start..];
    match line.char_indices().nth(column) {
        Some((offset, _)) => Some(line_start + offset),
        None if line.chars().count() == column => Some(text.len()),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(sql: &str) -> Option<String> {
        let parsed = crate::parse::parse_statements(sql).unwrap();
        creation_text(&EmberDialect::default(), sql, &parsed[0])
    }

    #[test]
    fn tables_keep_their_text_from_the_name_to_the_last_token() {
        assert_eq!(
            kept("create   table IF NOT EXISTS \"T1\" ( a int , b text ) /* x */ ;").as_deref(),
            Some("CREATE TABLE \"T1\" ( a int , b text )")
        );
        assert_eq!(
            kept("create table t(a,\n  b -- note\n)").as_deref(),
            Some("CREATE TABLE t(a,\n  b -- note\n)")
        );
    }

    #[test]
    fn indexes_keep_the_text_before_the_semicolon_and_views_trim_it() {
        assert_eq!(
            kept("create unique index  if not exists  i1 on t1 (c) ;").as_deref(),
            Some("CREATE UNIQUE INDEX i1 on t1 (c) ")
        );
        assert_eq!(
            kept("create view  v1 as select  a from t1  -- hi\n;").as_deref(),
            Some("CREATE VIEW v1 as select  a from t1  -- hi")
        );
        assert_eq!(
            kept("SELECT 1; create index i on t(a)").as_deref(),
            None,
            "only a CREATE statement has kept text"
        );
    }

    #[test]
    fn an_added_column_keeps_its_definition_as_written() {
        assert_eq!(
            kept("ALTER TABLE t ADD COLUMN  due text DEFAULT 'x' -- later\n ;").as_deref(),
            Some("due text DEFAULT 'x'")
        );
        assert_eq!(kept("alter table t add b int").as_deref(), Some("b int"));
        assert_eq!(kept("ALTER TABLE t RENAME TO u").as_deref(), None);
    }

    #[test]
    fn text_after_multibyte_characters_is_found() {
        assert_eq!(
            kept("/* é */ CREATE TABLE \"é\"(a DEFAULT 'ü');").as_deref(),
            Some("CREATE TABLE \"é\"(a DEFAULT 'ü')")
        );
    }
}
