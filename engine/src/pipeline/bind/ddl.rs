//! Binding of DDL: CREATE TABLE (column types by SQLite's affinity rules, PRIMARY KEY,
//! NOT NULL, UNIQUE, DEFAULT; CHECK and FOREIGN KEY in constraint.rs), CREATE [UNIQUE]
//! INDEX, DROP TABLE and DROP INDEX.

use sqlparser::ast::{self, ColumnOption, ObjectType, TableConstraint};

use ember_storage::DataType;

use crate::catalog::{column_part, IndexKeys, IndexPredicate};
use crate::catalog::{ColumnDef, WRITE_TIME_COLUMN};
use crate::error::{unsupported, Result};
use crate::expr::{Affinity, Collation, Expr};
use crate::limits::COLUMNS_MAX;
use crate::plan::{CreateIndex, CreateTable, OnConflict, Plan};

use super::{object_name, Binder, Scope};

/// The column type for a declared type name, by SQLite's affinity rules: INT -> INTEGER;
/// CHAR, CLOB, TEXT -> TEXT; REAL, FLOA, DOUB -> REAL; BOOL -> BOOLEAN. A column declared
/// BLOB or with no type (no affinity) holds any value as it is given, and so does any
/// other type (NUMERIC affinity, applied by `coerce_to_column`).
pub fn column_type(declared: &str) -> DataType {
    let upper = declared.to_ascii_uppercase();
    if upper.contains("INT") {
        DataType::Integer
    } else if upper.contains("CHAR") || upper.contains("CLOB") || upper.contains("TEXT") {
        DataType::Text
    } else if upper.contains("BLOB") {
        DataType::Any
    } else if upper.contains("REAL") || upper.contains("FLOA") || upper.contains("DOUB") {
        DataType::Real
    } else if upper.contains("BOOL") {
        DataType::Boolean
    } else {
        DataType::Any
    }
}

/// Whether a declared type makes a single-column primary key SQLite's rowid alias: the
/// type name is exactly INTEGER (any case; `INT` or `BIGINT` are not).
fn is_integer_type(declared: &str) -> bool {
    declared.eq_ignore_ascii_case("INTEGER")
}

/// Whether dialect-specific column option tokens are the one keyword `word`.
fn is_keyword(tokens: &[sqlparser::tokenizer::Token], word: &str) -> bool {
    matches!(tokens, [sqlparser::tokenizer::Token::Word(w)] if w.value.eq_ignore_ascii_case(word))
}

/// Appends the hidden write-time column of a table with `ttl` (its name is reserved there).
pub(super) fn add_write_time_column(table: &str, columns: &mut Vec<ColumnDef>) -> Result<()> {
    if columns
        .iter()
        .any(|c| c.name.eq_ignore_ascii_case(WRITE_TIME_COLUMN))
    {
        return Err(crate::err!(
            InvalidInput,
            "table {table}: the column name {WRITE_TIME_COLUMN} is reserved in a table with \
             ttl (it holds each row's write time)"
        ));
    }
    columns.push(ColumnDef::write_time());
    Ok(())
}

/// Whether a column's PRIMARY KEY is said DESC (`id INTEGER PRIMARY KEY DESC`): SQLite
/// makes no rowid alias of such a key (a quirk it keeps for compatibility).
fn key_descending(column: &ast::ColumnDef) -> bool {
    column.options.iter().any(|option| match &option.option {
        ColumnOption::DialectSpecific(tokens) => is_keyword(tokens, "DESC"),
        _ => false,
    })
}

/// Whether CREATE TABLE declares a PRIMARY KEY (on a column or as a table constraint).
fn declares_primary_key(create: &ast::CreateTable) -> bool {
    let on_column = create.columns.iter().any(|column| {
        column
            .options
            .iter()
            .any(|option| matches!(option.option, ColumnOption::PrimaryKey(_)))
    });
    on_column
        || create
            .constraints
            .iter()
            .any(|constraint| matches!(constraint, TableConstraint::PrimaryKey(_)))
}

/// Whether CREATE TABLE's PRIMARY KEY is one column whose declared type is exactly INTEGER
/// (on the column, or as a table constraint naming it): SQLite's rowid alias.
fn declares_rowid_alias(create: &ast::CreateTable) -> bool {
    let is_key =
        |option: &ast::ColumnOptionDef| matches!(option.option, ColumnOption::PrimaryKey(_));
    let integer = |column: &ast::ColumnDef| is_integer_type(&column.data_type.to_string());
    if let Some(column) = create.columns.iter().find(|c| c.options.iter().any(is_key)) {
        return integer(column) && !key_descending(column);
    }
    create
        .constraints
        .iter()
        .any(|constraint| match constraint {
            TableConstraint::PrimaryKey(key) => match key.columns.as_slice() {
                [only] => match &only.column.expr {
                    ast::Expr::Identifier(ident) => create
                        .columns
                        .iter()
                        .find(|c| c.name.value.eq_ignore_ascii_case(&ident.value))
                        .is_some_and(integer),
                    _ => false,
                },
                _ => false,
            },
            _ => false,
        })
}

/// The constraint a column's `ON CONFLICT action` follows (the clause belongs to it).
#[derive(Clone, Copy)]
enum ClauseOwner {
    /// `NULL ON CONFLICT ..`: SQLite takes the clause and ignores it.
    Null,
    NotNull,
    PrimaryKey,
    Unique,
}

/// The conflict clauses a CREATE TABLE's constraints declare, as bound.
#[derive(Default)]
struct DeclaredClauses {
    not_null: Vec<(usize, OnConflict)>,
    /// The declared PRIMARY KEY's (on a column or as a table constraint).
    primary_key: Option<OnConflict>,
    unique: Vec<(Vec<usize>, OnConflict)>,
}

impl DeclaredClauses {
    fn column_clause(&mut self, owner: ClauseOwner, column: usize, clause: OnConflict) {
        match owner {
            ClauseOwner::Null => {}
            ClauseOwner::NotNull => self.not_null.push((column, clause)),
            ClauseOwner::PrimaryKey => self.primary_key = Some(clause),
            ClauseOwner::Unique => self.unique.push((vec![column], clause)),
        }
    }

    /// The catalog's clauses; `keyed_by_unique`: the declared PRIMARY KEY when it is kept
    /// as a UNIQUE constraint (its clause is then that index's).
    fn into_catalog(self, keyed_by_unique: &[usize]) -> crate::catalog::ConflictClauses {
        let mut unique = self.unique;
        let primary_key = match (self.primary_key, keyed_by_unique.is_empty()) {
            (Some(clause), false) => {
                unique.insert(0, (keyed_by_unique.to_vec(), clause));
                None
            }
            (clause, _) => clause,
        };
        crate::catalog::ConflictClauses {
            not_null: self.not_null,
            primary_key,
            unique,
        }
    }
}

/// A conflict clause's action keyword.
fn conflict_action(keyword: &sqlparser::keywords::Keyword) -> Result<OnConflict> {
    use sqlparser::keywords::Keyword;
    Ok(match keyword {
        Keyword::ROLLBACK => OnConflict::Rollback,
        Keyword::ABORT => OnConflict::Abort,
        Keyword::FAIL => OnConflict::Fail,
        Keyword::IGNORE => OnConflict::Ignore,
        Keyword::REPLACE => OnConflict::Replace,
        other => {
            return Err(unsupported(format!(
                "conflict clause ON CONFLICT {other:?}"
            )))
        }
    })
}

/// The conflict clause a table constraint's name carries (`parse/constraint_conflict.rs`):
/// `Some(clause)` for a rewritten name, `None` for any other.
fn declared_clause(name: &ast::Ident) -> Result<Option<OnConflict>> {
    Ok(match crate::parse::declared_action(&name.value) {
        None => None,
        Some((action, _)) => Some(match action {
            "ROLLBACK" => OnConflict::Rollback,
            "ABORT" => OnConflict::Abort,
            "FAIL" => OnConflict::Fail,
            "IGNORE" => OnConflict::Ignore,
            "REPLACE" => OnConflict::Replace,
            other => return Err(unsupported(format!("conflict clause ON CONFLICT {other}"))),
        }),
    })
}

impl Binder<'_> {
    pub(super) fn bind_create_table(&mut self, create: &ast::CreateTable) -> Result<Plan> {
        if create.or_replace {
            return Err(unsupported("CREATE OR REPLACE TABLE"));
        }
        if create.like.is_some() || create.clone.is_some() {
            return Err(unsupported("CREATE TABLE ... LIKE/CLONE"));
        }
        if let Some(query) = &create.query {
            return self.bind_create_table_as(create, query);
        }
        let name = super::created_table_name(&create.name, create.temporary)?;
        if create.columns.is_empty() {
            return Err(crate::err!(
                InvalidInput,
                "table {name} must have at least one column"
            ));
        }
        if create.columns.len() > COLUMNS_MAX {
            return Err(crate::err!(
                Limit,
                "table {name} has {} columns; the limit is {COLUMNS_MAX}",
                create.columns.len()
            ));
        }
        let mut columns: Vec<ColumnDef> = Vec::with_capacity(create.columns.len() + 1);
        let mut primary_key: Vec<usize> = Vec::new();
        let declares_key = declares_primary_key(create);
        if create.without_rowid && !declares_key {
            return Err(crate::err!(
                InvalidInput,
                "PRIMARY KEY missing on table {name}"
            ));
        }
        // The implicit rowid: the hidden first column, keyed as an INTEGER PRIMARY KEY, for
        // a table without one; a PRIMARY KEY declared then is kept as a UNIQUE constraint.
        let implicit_rowid = self.implicit_rowid
            && !create.without_rowid
            && !(declares_key && declares_rowid_alias(create));
        if implicit_rowid {
            columns.push(ColumnDef::implicit_rowid());
        }
        let offset = columns.len();
        let mut unique: Vec<Vec<usize>> = Vec::new();
        let mut autoincrement = false;
        let mut pending = super::constraint::PendingConstraints::default();
        let mut generated = Vec::new();
        let mut clauses = DeclaredClauses::default();
        for (index, column) in create.columns.iter().enumerate() {
            let position = offset + index;
            if columns
                .iter()
                .any(|c| !c.hidden && c.name.eq_ignore_ascii_case(&column.name.value))
            {
                return Err(crate::err!(
                    AlreadyExists,
                    "duplicate column name: {}",
                    column.name.value
                ));
            }
            let declared = column.data_type.to_string();
            let mut definition = ColumnDef {
                name: column.name.value.clone(),
                data_type: column_type(&declared),
                not_null: false,
                default: None,
                affinity: Affinity::from_type_name(&declared),
                collation: Collation::Binary,
                hidden: false,
                strict: None,
                generated: None,
            };
            if create.strict {
                let (data_type, affinity, strict) =
                    super::strict::strict_column(&name, &column.name.value, &declared)?;
                definition.data_type = data_type;
                definition.affinity = affinity;
                definition.strict = Some(strict);
            }
            // The constraint a following `ON CONFLICT action` belongs to.
            let mut clause_of: Option<ClauseOwner> = None;
            for option in &column.options {
                let owner = clause_of.take();
                match &option.option {
                    ColumnOption::OnConflict(keyword) => {
                        let Some(owner) = owner else {
                            return Err(crate::err!(Syntax, "near \"ON\": syntax error"));
                        };
                        clauses.column_clause(owner, position, conflict_action(keyword)?);
                    }
                    ColumnOption::Null => clause_of = Some(ClauseOwner::Null),
                    ColumnOption::NotNull => {
                        definition.not_null = true;
                        clause_of = Some(ClauseOwner::NotNull);
                    }
                    ColumnOption::Default(expr) => {
                        let bound = self.bind_expr(expr, &Scope::default())?;
                        definition.default = Some(bound);
                    }
                    ColumnOption::PrimaryKey(_) => {
                        if !primary_key.is_empty() {
                            return Err(crate::err!(
                                InvalidInput,
                                "table {name} has more than one primary key"
                            ));
                        }
                        primary_key.push(position);
                        clause_of = Some(ClauseOwner::PrimaryKey);
                    }
                    ColumnOption::Unique(_) => {
                        unique.push(vec![position]);
                        clause_of = Some(ClauseOwner::Unique);
                    }
                    ColumnOption::Collation(name) => {
                        definition.collation =
                            self.collation_named(&object_name(name)?, "a column definition")?;
                    }
                    // The key's order: `PRIMARY KEY ASC` / `DESC`.
                    ColumnOption::DialectSpecific(tokens)
                        if primary_key == [position]
                            && (is_keyword(tokens, "ASC") || is_keyword(tokens, "DESC")) =>
                    {
                        clause_of = owner;
                    }
                    ColumnOption::DialectSpecific(tokens)
                        if is_keyword(tokens, "AUTOINCREMENT") =>
                    {
                        if primary_key != [position]
                            || !is_integer_type(&column.data_type.to_string())
                            || key_descending(column)
                        {
                            return Err(crate::err!(
                                InvalidInput,
                                "AUTOINCREMENT is only allowed on an INTEGER PRIMARY KEY"
                            ));
                        }
                        autoincrement = true;
                    }
                    ColumnOption::Generated { .. } => {
                        if let Some(found) = super::generated::generated_option(&option.option) {
                            let (expr, stored) = found?;
                            generated.push((position, expr, stored));
                        }
                    }
                    _ if pending.column_option(position, option) => {}
                    other => return Err(unsupported(format!("column option {other}"))),
                }
            }
            columns.push(definition);
        }
        let find = |ident: &ast::IndexColumn| -> Result<usize> {
            let column_name = match &ident.column.expr {
                ast::Expr::Identifier(ident) => ident.value.clone(),
                other => return Err(unsupported(format!("key expression {other}"))),
            };
            columns
                .iter()
                .position(|c| !c.hidden && c.name.eq_ignore_ascii_case(&column_name))
                .ok_or_else(|| crate::err!(NotFound, "no such column in key: {column_name}"))
        };
        for constraint in &create.constraints {
            match constraint {
                TableConstraint::PrimaryKey(key) => {
                    if !primary_key.is_empty() {
                        return Err(crate::err!(
                            InvalidInput,
                            "table {name} has more than one primary key"
                        ));
                    }
                    primary_key = key.columns.iter().map(&find).collect::<Result<_>>()?;
                    if let Some(clause) = key.name.as_ref().map(declared_clause).transpose()? {
                        clauses.primary_key = clause;
                    }
                }
                TableConstraint::Unique(key) => {
                    let columns: Vec<usize> =
                        key.columns.iter().map(&find).collect::<Result<_>>()?;
                    if let Some(Some(clause)) =
                        key.name.as_ref().map(declared_clause).transpose()?
                    {
                        clauses.unique.push((columns.clone(), clause));
                    }
                    unique.push(columns);
                }
                _ if pending.table_constraint(constraint) => {}
                other => return Err(unsupported(format!("table constraint {other}"))),
            }
        }
        let rowid_column = match primary_key.as_slice() {
            _ if implicit_rowid => Some(0),
            [key]
                if is_integer_type(&create.columns[*key - offset].data_type.to_string())
                    && !key_descending(&create.columns[*key - offset]) =>
            {
                Some(*key)
            }
            _ => None,
        };
        // `declares_rowid_alias` read the AST as this match reads the bound key: they agree.
        debug_assert!(
            implicit_rowid
                || !self.implicit_rowid
                || create.without_rowid
                || !declares_key
                || rowid_column.is_some(),
            "a PRIMARY KEY that is no rowid alias gets the implicit rowid"
        );
        // A table with the implicit rowid is stored on it; its declared key, if any, is a
        // UNIQUE constraint (the first: its index is the table's first) that allows NULLs.
        let keyed_by_unique = if implicit_rowid {
            std::mem::replace(&mut primary_key, vec![0])
        } else {
            for &position in &primary_key {
                columns[position].not_null = true;
            }
            Vec::new()
        };
        let declared_key = if keyed_by_unique.is_empty() {
            &primary_key
        } else {
            unique.insert(0, keyed_by_unique.clone());
            &keyed_by_unique
        };
        self.bind_generated_columns(&name, &mut columns, &generated, declared_key)?;
        let mut constraints = self.bind_constraints(&name, &columns, pending)?;
        constraints.conflict = clauses.into_catalog(&keyed_by_unique);
        let options = crate::catalog::bind_table_options(&name, &create.table_options, |column| {
            columns
                .iter()
                .position(|c| !c.hidden && c.name.eq_ignore_ascii_case(column))
        })?;
        if options.ttl_ms.is_some() {
            add_write_time_column(&name, &mut columns)?;
        }
        let sql = self.stored_sql(|| ast::Statement::CreateTable(create.clone()).to_string());
        Ok(Plan::CreateTable(CreateTable {
            name,
            if_not_exists: create.if_not_exists,
            columns,
            primary_key,
            keyed_by_unique,
            unique,
            constraints,
            sql,
            rowid_column,
            autoincrement,
            options,
        }))
    }

    pub(super) fn bind_drop(
        &mut self,
        object_type: ObjectType,
        if_exists: bool,
        names: &[ast::ObjectName],
        cascade: bool,
    ) -> Result<Plan> {
        if cascade {
            return Err(unsupported("DROP ... CASCADE"));
        }
        let [name] = names else {
            return Err(unsupported("DROP of several objects in one statement"));
        };
        let name = object_name(name)?;
        match object_type {
            ObjectType::Table if name.eq_ignore_ascii_case(crate::catalog::SEQUENCE_TABLE) => {
                Err(crate::err!(InvalidInput, "table {name} may not be dropped"))
            }
            ObjectType::Table => Ok(Plan::DropTable { name, if_exists }),
            ObjectType::View => Ok(Plan::DropView { name, if_exists }),
            ObjectType::Index => Ok(Plan::DropIndex { name, if_exists }),
            other => Err(unsupported(format!("DROP {other}"))),
        }
    }

    pub(super) fn bind_create_index(&mut self, create: &ast::CreateIndex) -> Result<Plan> {
        let Some(name) = &create.name else {
            return Err(crate::err!(
                InvalidInput,
                "CREATE INDEX needs an index name"
            ));
        };
        let index_schema = super::schema_name(name);
        let name = super::created_name(name)?;
        if name.to_ascii_lowercase().starts_with("ember_autoindex_") {
            return Err(crate::err!(
                InvalidInput,
                "index name {name} is reserved for the indexes of UNIQUE constraints"
            ));
        }
        // `USING type` before the columns (PostgreSQL) or after them (MySQL), at most once.
        let mut using = create.using.iter().collect::<Vec<_>>();
        for option in &create.index_options {
            match option {
                ast::IndexOption::Using(index_type) => using.push(index_type),
                other => return Err(unsupported(format!("index option {other}"))),
            }
        }
        // Ordered unless USING HASH (see docs/sql.md, "Indexes").
        let ordered = match using.as_slice() {
            [] | [ast::IndexType::BTree] => true,
            [ast::IndexType::Hash] => false,
            [other] => return Err(unsupported(format!("index type {other}"))),
            _ => {
                return Err(crate::err!(
                    InvalidInput,
                    "index {name} names its type more than once"
                ))
            }
        };
        if create.concurrently || create.r#async {
            return Err(unsupported("CREATE INDEX CONCURRENTLY/ASYNC"));
        }
        if !create.include.is_empty()
            || !create.with.is_empty()
            || create.nulls_distinct.is_some()
            || !create.alter_options.is_empty()
        {
            return Err(unsupported("index options (INCLUDE, WITH, NULLS DISTINCT)"));
        }
        // The table's name is unqualified (SQLite's grammar): a qualified index name looks
        // it up in its own schema alone.
        if let [_, part] = create.table_name.0.as_slice() {
            return Err(crate::err!(
                Syntax,
                "near \".\": syntax error before {part}"
            ));
        }
        let (table_name, catalog) = self.schema_of(&create.table_name)?;
        let (catalog, qualifier) = match index_schema {
            super::SchemaName::Main => (self.catalog.main_schema(), "main."),
            super::SchemaName::Temp => (self.catalog.temp_schema(), "temp."),
            super::SchemaName::Any => (catalog, ""),
        };
        let table = catalog
            .table(&table_name)
            .ok_or_else(|| crate::err!(NotFound, "no such table: {qualifier}{table_name}"))?;
        // Each key part: a column, or an expression over the table's columns.
        let mut parts = Vec::with_capacity(create.columns.len());
        let mut collations = Vec::with_capacity(create.columns.len());
        for column in &create.columns {
            if column.operator_class.is_some() {
                return Err(unsupported("index operator classes"));
            }
            // ASC/DESC are accepted: an ordered index is read in either direction.
            let (expr, explicit) = match &column.column.expr {
                ast::Expr::Collate {
                    expr: inner,
                    collation,
                } => (
                    inner.as_ref(),
                    Some(self.collation_named(&object_name(collation)?, "an index")?),
                ),
                other => (other, None),
            };
            let part = match expr {
                ast::Expr::Identifier(ident) => {
                    let position = table.column_index(&ident.value).ok_or_else(|| {
                        crate::err!(
                            NotFound,
                            "no such column: {} in table {table_name}",
                            ident.value
                        )
                    })?;
                    if parts.iter().any(|part| column_part(part) == Some(position)) {
                        return Err(crate::err!(
                            InvalidInput,
                            "column {} appears twice in index {name}",
                            ident.value
                        ));
                    }
                    Expr::Column {
                        index: position,
                        name: table.columns[position].name.clone(),
                        meta: Default::default(),
                    }
                }
                other => self.bind_index_expr(table, other, "index expressions")?,
            };
            // A unique index keys its hash map under this collation (texts equal under it
            // conflict); a non-unique hash map keys raw values, probed by BINARY lookups. An
            // expression's part is under BINARY unless it names one.
            let collation = match column_part(&part) {
                Some(position) => explicit.unwrap_or(table.columns[position].collation),
                None => explicit.unwrap_or(Collation::Binary),
            };
            collations.push(collation.index_collation());
            parts.push(part);
        }
        if parts.is_empty() {
            return Err(crate::err!(InvalidInput, "index {name} has no columns"));
        }
        let predicate = match &create.predicate {
            Some(predicate) => Some(self.bind_index_predicate(table, predicate)?),
            None => None,
        };
        let mut columns: Vec<usize> = parts.iter().filter_map(column_part).collect();
        let on_expressions = columns.len() < parts.len();
        if on_expressions {
            // The key parts are `keys.parts`: no column list to take them for.
            columns.clear();
        }
        // Keys derived in storage for an index on expressions or a partial index.
        let keys = (on_expressions || predicate.is_some())
            .then(|| std::sync::Arc::new(IndexKeys::new(parts, predicate.clone())));
        let sql = self.stored_sql(|| ast::Statement::CreateIndex(create.clone()).to_string());
        Ok(Plan::CreateIndex(CreateIndex {
            name,
            table: table.name.clone(),
            columns,
            unique: create.unique,
            key_collations: if create.unique {
                collations.clone()
            } else {
                Vec::new()
            },
            ordering: ordered.then_some(collations),
            if_not_exists: create.if_not_exists,
            sql,
            predicate,
            keys,
        }))
    }

    /// An index's key expression, bound over `table`'s row and restricted as SQLite
    /// restricts it (`place`, as the message names it: only the table's columns, no
    /// subqueries, parameters, aggregate or window functions or non-deterministic
    /// functions).
    fn bind_index_expr(
        &mut self,
        table: &crate::catalog::TableDef,
        expr: &ast::Expr,
        place: &str,
    ) -> Result<Expr> {
        super::constraint::reject_in_syntax(expr, place)?;
        // The table's own scope, as a query over it binds: the same affinities and
        // collations, so the optimizer finds the expression among a query's terms.
        let scope = super::Scope::for_table_def(&table.name, table);
        let bound = self.bind_expr(expr, &scope)?;
        super::constraint::reject_in_definition(&bound, place, true)?;
        Ok(bound)
    }

    /// A partial index's WHERE clause, bound over `table`'s row and restricted as SQLite
    /// restricts it (`bind_index_expr`).
    fn bind_index_predicate(
        &mut self,
        table: &crate::catalog::TableDef,
        predicate: &ast::Expr,
    ) -> Result<std::sync::Arc<IndexPredicate>> {
        let expr = self.bind_index_expr(table, predicate, "partial index WHERE clauses")?;
        Ok(std::sync::Arc::new(IndexPredicate::new(expr)))
    }
}
