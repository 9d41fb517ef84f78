//! ALTER TABLE .. RENAME COLUMN in stored schema text, edited in place as SQLite edits it:
//! the rename is worked out on the parsed statement (which names are the column: the
//! callers' rewrites), and the text as written is then edited at those names (its spacing,
//! case and comments kept; a quoted name stays quoted). The printed statement names the
//! same identifiers in the same order as the text, so the k-th name `old` in the text is
//! the k-th in the printed original, renamed when the rewrite renamed that one. An edit is
//! kept only when it reads as the rewrite (both printed alike, quotes aside); otherwise the
//! caller keeps the rewrite's printed text.

use sqlparser::ast;
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

/// `sql` with the column `old` renamed `new` in place, as the statement the callers'
/// rewrite printed (`rewritten`) renames it; `None` when the edit cannot be made so.
pub fn column_renamed_in_place(
    sql: &str,
    rewritten: &str,
    old: &str,
    new: &ast::Ident,
) -> Option<String> {
    let is_old =
        |token: &Token| matches!(token, Token::Word(word) if word.value.eq_ignore_ascii_case(old));
    let written = tokens(sql)?;
    let printed = tokens(&super::parse_one(sql).ok()?.to_string())?;
    let target = super::parse_one(rewritten).ok()?.to_string();
    let renamed = tokens(&target)?;
    if printed.len() != renamed.len() {
        return None;
    }
    // Whether each name `old` of the printed original is renamed in the rewrite.
    let flags: Vec<bool> = printed
        .iter()
        .zip(&renamed)
        .filter(|(before, _)| is_old(&before.token))
        .map(|(_, after)| !is_old(&after.token))
        .collect();
    let names: Vec<&TokenWithSpan> = written
        .iter()
        .filter(|token| is_old(&token.token))
        .collect();
    if names.len() != flags.len() {
        return None;
    }
    if !flags.contains(&true) {
        // Nothing renamed here: the text as written, when the rewrite left it alike.
        let unchanged = super::parse_one(sql).is_ok_and(|parsed| parsed.to_string() == target);
        return unchanged.then(|| sql.to_string());
    }
    let mut edited = String::with_capacity(sql.len() + 16 * flags.len());
    let mut copied = 0;
    for (name, _) in names.iter().zip(&flags).filter(|(_, &renamed)| renamed) {
        let start = crate::parse::byte_offset(sql, name.span.start)?;
        let end = crate::parse::byte_offset(sql, name.span.end)?;
        edited.push_str(&sql[copied..start]);
        match &name.token {
            Token::Word(word) if word.quote_style == Some('"') => {
                edited.push_str(&format!("\"{}\"", new.value.replace('"', "\"\"")))
            }
            _ => edited.push_str(&new.to_string()),
        }
        copied = end;
    }
    edited.push_str(&sql[copied..]);
    let unquoted = |text: &str| text.replace('"', "");
    let reads_alike = super::parse_one(&edited)
        .is_ok_and(|parsed| unquoted(&parsed.to_string()) == unquoted(&target));
    reads_alike.then_some(edited)
}

/// The tokens of `sql` but whitespace and comments, with their places.
fn tokens(sql: &str) -> Option<Vec<TokenWithSpan>> {
    let dialect = crate::dialect::EmberDialect::default();
    let tokens = Tokenizer::new(&dialect, sql)
        .tokenize_with_location()
        .ok()?;
    Some(
        tokens
            .into_iter()
            .filter(|token| !matches!(token.token, Token::Whitespace(_)))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::column_renamed_in_place;
    use sqlparser::ast::Ident;

    #[test]
    fn the_text_is_edited_at_the_names_the_rewrite_renamed() {
        let sql =
            "CREATE TABLE t (\n  id INTEGER, -- the key\n  \"Plan\" TEXT CHECK (plan <> '')\n)";
        let rewritten = "CREATE TABLE t (id INTEGER, tier TEXT CHECK (tier <> ''))";
        assert_eq!(
            column_renamed_in_place(sql, rewritten, "plan", &Ident::new("tier")).as_deref(),
            Some(
                "CREATE TABLE t (\n  id INTEGER, -- the key\n  \"tier\" TEXT CHECK (tier <> '')\n)"
            )
        );
        // A type of the column's name stays.
        let sql = "CREATE TABLE t (text  TEXT)";
        let rewritten = "CREATE TABLE t (body TEXT)";
        assert_eq!(
            column_renamed_in_place(sql, rewritten, "text", &Ident::new("body")).as_deref(),
            Some("CREATE TABLE t (body  TEXT)")
        );
    }
}
