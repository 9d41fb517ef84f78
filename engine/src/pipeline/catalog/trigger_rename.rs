//! ALTER TABLE .. RENAME TO in the text of a trigger (also of a view, and of a table whose
//! foreign keys reference the renamed one), edited in place as SQLite edits it
//! (the rest of the text, its spacing, case and comments, kept as written): the names of
//! the renamed table where a statement reads or writes it (after `ON` in the trigger's
//! head, after `FROM`, `JOIN`, `INTO`, `UPDATE`, `REFERENCES` and between the items of a
//! FROM list) and
//! where it qualifies a column (`old.col`, `main.old.col`, `old.*`), each written as the
//! new name, quoted.

use sqlparser::tokenizer::{Token, Tokenizer};

/// The words after which a name in a trigger's body (or a view's query, or a CREATE TABLE
/// and its foreign keys) is a table's.
const TABLE_WORDS: &[&str] = &["from", "join", "into", "update", "references", "table"];
/// The words that end a FROM list (a comma after them is not between FROM items).
const FROM_LIST_ENDS: &[&str] = &[
    "where",
    "group",
    "order",
    "limit",
    "having",
    "window",
    "on",
    "using",
    "set",
    "values",
    "select",
    "union",
    "except",
    "intersect",
    "returning",
];

/// `sql` (a CREATE TRIGGER text) with the table `old` renamed `new`; `None` when the text
/// names no such table (or cannot be read as tokens).
pub fn rename_table_in_trigger_text(sql: &str, old: &str, new: &str) -> Option<String> {
    let dialect = crate::dialect::EmberDialect::default();
    let tokens = Tokenizer::new(&dialect, sql)
        .tokenize_with_location()
        .ok()?;
    let significant: Vec<usize> = (0..tokens.len())
        .filter(|&at| !matches!(tokens[at].token, Token::Whitespace(_)))
        .collect();
    let word = |at: usize| match &tokens[at].token {
        Token::Word(word) if word.quote_style.is_none() => Some(word.value.to_ascii_lowercase()),
        _ => None,
    };
    let mut spans = Vec::new();
    let (mut in_body, mut in_from) = (false, false);
    for (place, &at) in significant.iter().enumerate() {
        let previous = place.checked_sub(1).map(|before| significant[before]);
        let next = significant.get(place + 1).copied();
        if let Some(keyword) = word(at) {
            match keyword.as_str() {
                "begin" => in_body = true,
                "from" => in_from = true,
                _ if FROM_LIST_ENDS.contains(&keyword.as_str()) => in_from = false,
                _ => {}
            }
        }
        if matches!(tokens[at].token, Token::SemiColon) {
            in_from = false;
        }
        let Token::Word(name) = &tokens[at].token else {
            continue;
        };
        if !name.value.eq_ignore_ascii_case(old) {
            continue;
        }
        let after_word = previous.and_then(word);
        let names_table = match after_word.as_deref() {
            Some("on") => !in_body,
            Some(keyword) => TABLE_WORDS.contains(&keyword),
            None => previous
                .is_some_and(|before| in_from && matches!(tokens[before].token, Token::Comma)),
        };
        let qualifies = next.is_some_and(|after| matches!(tokens[after].token, Token::Period));
        if names_table || qualifies {
            spans.push(tokens[at].span);
        }
    }
    if spans.is_empty() {
        return None;
    }
    let quoted = format!("\"{}\"", new.replace('"', "\"\""));
    let mut edited = String::with_capacity(sql.len() + spans.len() * quoted.len());
    let mut copied = 0;
    for span in spans {
        let start = crate::parse::byte_offset(sql, span.start)?;
        let end = crate::parse::byte_offset(sql, span.end)?;
        edited.push_str(&sql[copied..start]);
        edited.push_str(&quoted);
        copied = end;
    }
    edited.push_str(&sql[copied..]);
    Some(edited)
}

#[cfg(test)]
mod tests {
    use super::rename_table_in_trigger_text as rename;

    #[test]
    fn the_table_is_renamed_where_statements_name_it() {
        let sql = "CREATE TRIGGER a_ai AFTER INSERT ON accounts BEGIN\n  \
                   INSERT INTO audit SELECT id FROM Accounts WHERE accounts.id = NEW.id;\n  \
                   -- x\n  UPDATE accounts SET n = 1 FROM other, accounts; END";
        assert_eq!(
            rename(sql, "accounts", "members").as_deref(),
            Some(
                "CREATE TRIGGER a_ai AFTER INSERT ON \"members\" BEGIN\n  \
                 INSERT INTO audit SELECT id FROM \"members\" WHERE \"members\".id = NEW.id;\n  \
                 -- x\n  UPDATE \"members\" SET n = 1 FROM other, \"members\"; END"
            )
        );
    }

    #[test]
    fn columns_and_other_names_stay() {
        let sql = "CREATE TRIGGER t AFTER UPDATE ON other BEGIN \
                   SELECT accounts, x.accounts FROM other x; END";
        assert_eq!(rename(sql, "accounts", "members"), None);
    }
}
