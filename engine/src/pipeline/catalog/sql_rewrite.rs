//! The stored schema text under ALTER TABLE: a table's CREATE TABLE and its indexes' CREATE
//! INDEX statements are parsed, changed (a column added or renamed, the table renamed) and
//! printed again, as SQLite rewrites `sqlite_schema` (an added column is spliced into the
//! text as written instead, as SQLite does). Also the script that recreates a table
//! that grew columns with the same row format (`TableDef::creation_sql`, for checkpoints).

use sqlparser::ast::{self, CreateTableOptions, Statement};

use crate::error::Result;

use super::{TableDef, ViewDef};

/// The one statement of stored schema text.
pub fn parse_one(sql: &str) -> Result<Statement> {
    let parsed = crate::parse::parse_statements(sql)?;
    match &parsed[..] {
        [statement] => Ok(statement.clone()),
        _ => Err(crate::err!(
            Internal,
            "stored schema text is not one statement: {sql}"
        )),
    }
}

/// `sql` (a table's kept CREATE TABLE text) with the column definition `column` (as
/// written in ADD COLUMN) spliced in after its last column (before its table constraints,
/// else the parenthesis closing its column list), as SQLite splices it (`CREATE TABLE t(a)`
/// and `b text` make `CREATE TABLE t(a, b text)`);
/// `None` when the list's end is not found or the result does not parse as the table with
/// one more column (a column that ends in a `--` comment), so the caller prints it instead.
pub fn splice_added_column(sql: &str, column: &str) -> Option<String> {
    let offset = added_column_offset(sql)?;
    let spliced = format!("{}, {column}{}", &sql[..offset], &sql[offset..]);
    let columns = |text: &str| match parse_one(text) {
        Ok(Statement::CreateTable(create)) => Some(create.columns.len()),
        _ => None,
    };
    (columns(&spliced)? == columns(sql)? + 1).then_some(spliced)
}

/// The byte offset in `sql` (a CREATE TABLE text) where SQLite splices an added column:
/// at the `,` before the first table constraint (`CONSTRAINT`, `PRIMARY KEY`, `UNIQUE`,
/// `CHECK`, `FOREIGN KEY`), else at the `)` that closes the column list.
fn added_column_offset(sql: &str) -> Option<usize> {
    use sqlparser::keywords::Keyword;
    use sqlparser::tokenizer::{Token, Tokenizer};
    let dialect = crate::dialect::EmberDialect::default();
    let tokens = Tokenizer::new(&dialect, sql)
        .tokenize_with_location()
        .ok()?;
    let mut depth = 0usize;
    let mut comma = None;
    for token in &tokens {
        match &token.token {
            Token::Whitespace(_) => continue,
            Token::LParen => depth += 1,
            Token::RParen => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return crate::parse::byte_offset(sql, token.span.start);
                }
            }
            Token::Word(word)
                if comma.is_some()
                    && word.quote_style.is_none()
                    && matches!(
                        word.keyword,
                        Keyword::CONSTRAINT
                            | Keyword::PRIMARY
                            | Keyword::UNIQUE
                            | Keyword::CHECK
                            | Keyword::FOREIGN
                    ) =>
            {
                return crate::parse::byte_offset(sql, comma?);
            }
            _ => {}
        }
        comma = (depth == 1 && token.token == Token::Comma).then_some(token.span.start);
    }
    None
}

/// `sql` (a kept CREATE TABLE or CREATE INDEX text) with the name `old` written after the
/// word `keyword` (`TABLE`, or an index's `ON`) replaced by `new` in double quotes, the rest
/// as written, as SQLite's RENAME TO edits the text (`CREATE TABLE "u"(a)`); `None` when the
/// text names `old` anywhere else too (the caller then prints the changed statement).
pub fn renamed_in_text(sql: &str, keyword: &str, old: &str, new: &str) -> Option<String> {
    use sqlparser::tokenizer::{Token, Tokenizer};
    let dialect = crate::dialect::EmberDialect::default();
    let tokens = Tokenizer::new(&dialect, sql)
        .tokenize_with_location()
        .ok()?;
    let mut after_keyword = false;
    let mut found = None;
    for token in &tokens {
        let Token::Word(word) = &token.token else {
            continue;
        };
        if word.value.eq_ignore_ascii_case(old) {
            if !after_keyword || found.is_some() {
                return None;
            }
            found = Some(token.span);
        }
        after_keyword = found.is_none()
            && word.quote_style.is_none()
            && word.value.eq_ignore_ascii_case(keyword);
    }
    let span = found?;
    let start = crate::parse::byte_offset(sql, span.start)?;
    let end = crate::parse::byte_offset(sql, span.end)?;
    let quoted = new.replace('"', "\"\"");
    Some(format!("{}\"{quoted}\"{}", &sql[..start], &sql[end..]))
}

/// `sql` (a CREATE TABLE statement) changed by `change`, printed again.
pub fn rewrite_create_table(
    sql: &str,
    change: impl FnOnce(&mut ast::CreateTable),
) -> Result<String> {
    match parse_one(sql)? {
        Statement::CreateTable(mut create) => {
            change(&mut create);
            Ok(Statement::CreateTable(create).to_string())
        }
        _ => Err(crate::err!(
            Internal,
            "stored table text is not CREATE TABLE: {sql}"
        )),
    }
}

/// `sql` (a CREATE INDEX statement) changed by `change`, printed again.
pub fn rewrite_create_index(
    sql: &str,
    change: impl FnOnce(&mut ast::CreateIndex),
) -> Result<String> {
    match parse_one(sql)? {
        Statement::CreateIndex(mut create) => {
            change(&mut create);
            Ok(Statement::CreateIndex(create).to_string())
        }
        _ => Err(crate::err!(
            Internal,
            "stored index text is not CREATE INDEX: {sql}"
        )),
    }
}

/// `sql` (a CREATE INDEX statement on table `old`) on the table renamed `new`: the table it
/// names, and the qualifier of the columns its WHERE (a partial index's predicate) names.
pub fn rename_table_in_index(sql: &str, old: &str, new: &ast::ObjectName) -> Result<String> {
    match parse_one(sql)? {
        Statement::CreateIndex(mut create) => {
            create.table_name = new.clone();
            let mut statement = Statement::CreateIndex(create);
            if let Some(last) = new.0.last().and_then(|part| part.as_ident()) {
                rename_qualifiers(&mut statement, old, &last.clone());
            }
            Ok(statement.to_string())
        }
        _ => Err(crate::err!(
            Internal,
            "stored index text is not CREATE INDEX: {sql}"
        )),
    }
}

/// Renames column `old` to `new` (case-insensitively) in a key or index column list, in an
/// index's key expressions too.
pub fn rename_key_column(columns: &mut [ast::IndexColumn], old: &str, new: &ast::Ident) {
    for column in columns {
        rename_column_in_expr(&mut column.column.expr, old, new);
    }
}

/// Renames column `old` to `new` (case-insensitively) wherever `expr` names it, bare or
/// qualified (an index's key expression or WHERE, which read only their table's columns).
pub fn rename_column_in_expr(expr: &mut ast::Expr, old: &str, new: &ast::Ident) {
    crate::ast_visit::exprs_mut(expr, |expr| match expr {
        ast::Expr::Identifier(ident) if ident.value.eq_ignore_ascii_case(old) => {
            *ident = new.clone()
        }
        ast::Expr::CompoundIdentifier(parts) => {
            if let Some(last) = parts.last_mut() {
                if last.value.eq_ignore_ascii_case(old) {
                    *last = new.clone();
                }
            }
        }
        _ => {}
    });
}

/// `view` with every reference to table `old` renamed to `new`, or `None` when it names no
/// such table (SQLite rewrites the views of a renamed table the same way).
pub fn rename_table_in_view(
    view: &ViewDef,
    old: &str,
    new: &ast::ObjectName,
) -> Result<Option<ViewDef>> {
    let mut statement = parse_one(&view.sql)?;
    let mut renamed = false;
    crate::ast_visit::relations_mut(&mut statement, |name| {
        if let [part] = name.0.as_slice() {
            if part
                .as_ident()
                .is_some_and(|ident| ident.value.eq_ignore_ascii_case(old))
            {
                *name = new.clone();
                renamed = true;
            }
        }
    });
    if !renamed {
        return Ok(None);
    }
    if let Some(new_name) = new.0.last().and_then(|part| part.as_ident()) {
        rename_qualifiers(&mut statement, old, new_name);
    }
    let mut rewritten = view_rewritten(&statement, view)?;
    // The text as written, the name edited in place (as SQLite edits it), when that reads
    // as the rewrite does.
    let new_name = new.0.last().and_then(|part| part.as_ident());
    if let Some(new_name) = new_name {
        if let Some(edited) = super::rename_table_in_trigger_text(&view.sql, old, &new_name.value) {
            let unquoted = |text: &str| text.replace('"', "").to_ascii_lowercase();
            let alike = parse_one(&edited)
                .is_ok_and(|parsed| unquoted(&parsed.to_string()) == unquoted(&rewritten.sql));
            if alike {
                rewritten.sql = edited;
            }
        }
    }
    Ok(Some(rewritten))
}

/// `view` with its definition the rewritten `CREATE VIEW` statement `statement` (its query
/// and its text).
pub fn view_rewritten(statement: &Statement, view: &ViewDef) -> Result<ViewDef> {
    let Statement::CreateView(create) = statement else {
        return Err(crate::err!(Internal, "stored view text is not CREATE VIEW"));
    };
    Ok(ViewDef {
        query: create.query.as_ref().clone(),
        sql: statement.to_string(),
        ..view.clone()
    })
}

/// Renames the qualifier `old` of column references (`old.col`, `main.old.col`) and of
/// `old.*` in `statement` to `new`, as SQLite rewrites a view whose table was renamed. Left
/// alone when a FROM item of the statement has the alias `old` (whose qualifiers keep their
/// meaning).
fn rename_qualifiers(statement: &mut Statement, old: &str, new: &ast::Ident) {
    let mut aliased = false;
    crate::ast_visit::queries_mut(statement, |query| aliased |= aliases(&query.body, old));
    if aliased {
        return;
    }
    let is_old = |ident: &ast::Ident| ident.value.eq_ignore_ascii_case(old);
    crate::ast_visit::exprs_mut(statement, |expr| {
        if let ast::Expr::CompoundIdentifier(parts) = expr {
            match parts.as_mut_slice() {
                [table, _] if is_old(table) => *table = new.clone(),
                [schema, table, _]
                    if schema.value.eq_ignore_ascii_case("main") && is_old(table) =>
                {
                    *table = new.clone()
                }
                _ => {}
            }
        }
    });
    crate::ast_visit::queries_mut(statement, |query| {
        rename_wildcards(&mut query.body, old, new)
    });
}

/// Whether a FROM item of `body` (or of its set operations' operands) is given the alias
/// `name`.
fn aliases(body: &ast::SetExpr, name: &str) -> bool {
    let named = |alias: &Option<ast::TableAlias>| {
        alias
            .as_ref()
            .is_some_and(|alias| alias.name.value.eq_ignore_ascii_case(name))
    };
    let factor_named = |factor: &ast::TableFactor| match factor {
        ast::TableFactor::Table { alias, .. }
        | ast::TableFactor::Derived { alias, .. }
        | ast::TableFactor::TableFunction { alias, .. }
        | ast::TableFactor::NestedJoin { alias, .. } => named(alias),
        _ => false,
    };
    match body {
        ast::SetExpr::Select(select) => select.from.iter().any(|from| {
            factor_named(&from.relation)
                || from.joins.iter().any(|join| factor_named(&join.relation))
        }),
        ast::SetExpr::SetOperation { left, right, .. } => {
            aliases(left, name) || aliases(right, name)
        }
        ast::SetExpr::Query(query) => aliases(&query.body, name),
        _ => false,
    }
}

/// Renames `old.*` in the select lists of `body` (and of its set operations' operands).
fn rename_wildcards(body: &mut ast::SetExpr, old: &str, new: &ast::Ident) {
    match body {
        ast::SetExpr::Select(select) => {
            for item in &mut select.projection {
                if let ast::SelectItem::QualifiedWildcard(
                    ast::SelectItemQualifiedWildcardKind::ObjectName(name),
                    _,
                ) = item
                {
                    if let [part] = name.0.as_mut_slice() {
                        if part
                            .as_ident()
                            .is_some_and(|ident| ident.value.eq_ignore_ascii_case(old))
                        {
                            *part = ast::ObjectNamePart::Identifier(new.clone());
                        }
                    }
                }
            }
        }
        ast::SetExpr::SetOperation { left, right, .. } => {
            rename_wildcards(left, old, new);
            rename_wildcards(right, old, new);
        }
        ast::SetExpr::Query(query) => rename_wildcards(&mut query.body, old, new),
        _ => {}
    }
}

impl TableDef {
    /// SQL that recreates this table with its row format: the CREATE TABLE text, or for a
    /// table that grew columns without rewriting its rows (`storage/src/row/added.rs`), a
    /// CREATE TABLE of its base columns followed by one `ALTER TABLE .. ADD COLUMN` per
    /// added column, `;`-separated, so rows copied from it (a checkpoint) read the same.
    /// A table given its ttl by `ALTER TABLE .. SET (ttl = ..)` has its hidden write-time
    /// column as the last added one (no ADD COLUMN follows a ttl): its options then come
    /// last, as `ALTER TABLE .. SET (..)` with the `ttl_from` its older rows read.
    /// The text ends with `IMPLICIT_ROWID_MARK` when the table has the implicit rowid.
    pub fn creation_sql(&self) -> Result<String> {
        self.script().map(|script| self.durable_text(script))
    }

    fn script(&self) -> Result<String> {
        let added = self.storage.schema().added.len();
        if added == 0 {
            return Ok(self.sql.clone());
        }
        let Statement::CreateTable(mut create) = parse_one(&self.sql)? else {
            return Err(crate::err!(
                Internal,
                "stored table text is not CREATE TABLE"
            ));
        };
        let hidden = usize::from(self.write_time_column().is_some());
        let user_added = added - hidden;
        let hidden_columns = self.columns.len() - self.visible_columns().count();
        if create.columns.len() + hidden_columns != self.columns.len()
            || user_added >= create.columns.len()
        {
            return Err(crate::err!(
                Internal,
                "table {} has {} columns, {added} of them added, but its text has {}",
                self.name,
                self.columns.len(),
                create.columns.len()
            ));
        }
        if hidden == 0 {
            if let Some(script) = verbatim_script(&self.sql, &create, user_added) {
                return Ok(script);
            }
        }
        let tail = create.columns.split_off(create.columns.len() - user_added);
        let options = match hidden {
            1 => std::mem::replace(&mut create.table_options, CreateTableOptions::None),
            _ => CreateTableOptions::None,
        };
        let name = create.name.clone();
        let mut script = Statement::CreateTable(create).to_string();
        for column in tail {
            script.push_str(&format!(";\nALTER TABLE {name} ADD COLUMN {column}"));
        }
        if let CreateTableOptions::With(entries) = options {
            let entries: Vec<String> = entries.iter().map(ToString::to_string).collect();
            script.push_str(&format!(
                ";\nALTER TABLE {name} SET ({})",
                entries.join(", ")
            ));
        }
        Ok(script)
    }
}

/// The script of `script` for a table whose text (`sql`, parsed as `create`) ends with
/// `added` columns spliced in as written: its text without them, then one ADD COLUMN per
/// column with its text as written, so replaying it splices the same text again; `None`
/// when the text is not so (the columns not each after `, `), or replaying would not give
/// it back exactly (the caller then prints the statements).
fn verbatim_script(sql: &str, create: &ast::CreateTable, added: usize) -> Option<String> {
    debug_assert!(added > 0 && added < create.columns.len());
    let first_added = create.columns.len() - added;
    let starts = create.columns[first_added..]
        .iter()
        .map(|column| crate::parse::byte_offset(sql, column.name.span.start))
        .collect::<Option<Vec<usize>>>()?;
    // Where each added column's `, ` begins.
    let separators = starts
        .iter()
        .map(|&start| sql[..start].ends_with(", ").then(|| start - 2))
        .collect::<Option<Vec<usize>>>()?;
    let close = added_column_offset(sql)?;
    let ends = separators[1..].iter().copied().chain([close]);
    let columns: Vec<&str> = starts
        .iter()
        .zip(ends)
        .map(|(&start, end)| sql.get(start..end))
        .collect::<Option<Vec<&str>>>()?;
    let base = format!("{}{}", &sql[..separators[0]], &sql[close..]);
    let name = &create.name;
    let mut script = base.clone();
    let mut replayed = base;
    for column in &columns {
        script.push_str(&format!(";\nALTER TABLE {name} ADD COLUMN {column}"));
        replayed = splice_added_column(&replayed, column)?;
    }
    // Each replayed ADD COLUMN keeps its column's text as written here.
    let parsed = crate::parse::parse_statements(&script).ok()?;
    let kept = columns
        .iter()
        .enumerate()
        .all(|(index, column)| parsed.creation_text(index + 1) == Some(*column));
    (replayed == sql && kept).then_some(script)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A view over `sql`'s query, as the catalog keeps it.
    fn view(sql: &str) -> ViewDef {
        let Statement::CreateView(create) = parse_one(sql).unwrap() else {
            panic!("not CREATE VIEW: {sql}");
        };
        ViewDef {
            name: create.name.to_string(),
            columns: Vec::new(),
            query: create.query.as_ref().clone(),
            sql: sql.to_string(),
            created: 1,
        }
    }

    /// The view text after table `t` is renamed to `renamed`, or `None` when untouched. The
    /// text is the one written, edited in place: it parses to the renamed query.
    fn renamed(sql: &str) -> Option<String> {
        let new = ast::ObjectName::from(ast::Ident::new("renamed"));
        let after = rename_table_in_view(&view(sql), "t", &new).unwrap()?;
        let Statement::CreateView(create) = parse_one(&after.sql).unwrap() else {
            panic!("not CREATE VIEW: {}", after.sql);
        };
        // The same query, up to the quotes the edit puts around the new name.
        let unquoted = |query: &ast::Query| query.to_string().replace('"', "");
        assert_eq!(
            unquoted(&create.query),
            unquoted(&after.query),
            "{}",
            after.sql
        );
        Some(after.sql)
    }

    #[test]
    fn a_relation_is_renamed_wherever_a_view_reads_it() {
        let places = [
            ("FROM", "SELECT a FROM t"),
            ("FROM, differently cased", "SELECT a FROM T"),
            ("JOIN", "SELECT u.a FROM u JOIN t USING (a)"),
            ("derived table", "SELECT a FROM (SELECT a FROM t) AS d"),
            (
                "IN subquery",
                "SELECT a FROM u WHERE a IN (SELECT a FROM t)",
            ),
            ("EXISTS", "SELECT a FROM u WHERE EXISTS (SELECT 1 FROM t)"),
            ("scalar subquery", "SELECT (SELECT max(a) FROM t) FROM u"),
            (
                "subquery in ON",
                "SELECT 1 FROM u JOIN v ON (SELECT 1 FROM t) = 1",
            ),
            ("CTE", "WITH c AS (SELECT a FROM t) SELECT a FROM c"),
            ("compound operand", "SELECT a FROM u UNION SELECT a FROM t"),
            (
                "HAVING",
                "SELECT a FROM u GROUP BY a HAVING a > (SELECT 0 FROM t)",
            ),
            ("ORDER BY", "SELECT a FROM u ORDER BY (SELECT 1 FROM t)"),
        ];
        for (place, query) in places {
            let sql = format!("CREATE VIEW w AS {query}");
            let after = renamed(&sql).unwrap_or_else(|| panic!("{place}: not renamed: {sql}"));
            assert!(after.contains("renamed"), "{place}: {after}");
            let words: Vec<String> = after
                .split(|c: char| !c.is_alphanumeric())
                .map(str::to_ascii_lowercase)
                .collect();
            assert!(!words.iter().any(|w| w == "t"), "{place}: {after}");
        }
    }

    #[test]
    fn a_view_that_reads_other_tables_is_left_alone() {
        assert_eq!(renamed("CREATE VIEW w AS SELECT t FROM u AS t"), None);
        assert_eq!(
            renamed("CREATE VIEW w AS SELECT a FROM tt JOIN u ON tt.a = u.a"),
            None
        );
    }

    #[test]
    fn a_qualified_name_is_not_the_table() {
        assert_eq!(renamed("CREATE VIEW w AS SELECT a FROM other.t"), None);
    }
}
