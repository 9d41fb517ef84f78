//! Random queries in the SQL subset EmberDB and SQLite share: joins (inner, LEFT, comma),
//! WHERE, GROUP BY / HAVING with aggregates, DISTINCT, compound SELECTs, scalar / IN /
//! EXISTS subqueries (correlated too), CASE, BETWEEN, IN lists, LIKE, arithmetic, `||`,
//! a few scalar functions, CAST and NULLs. Nothing whose answer depends on row order.

use super::gen::{literal_of, Kind, Rng, Schema, Table};

/// A column a generated expression may read: its qualified name and type.
#[derive(Clone, Debug)]
pub struct ColumnRef {
    pub name: String,
    pub kind: Kind,
}

/// A generated SELECT, kept in parts so the oracles can rebuild it with another WHERE.
#[derive(Clone, Debug)]
pub struct Select {
    pub distinct: bool,
    pub projection: Vec<String>,
    pub from: String,
    pub predicate: Option<String>,
    pub group_by: Vec<String>,
    pub having: Option<String>,
    /// `ORDER BY <every output column> LIMIT n`, which makes the LIMIT deterministic.
    pub limit: Option<u64>,
    /// `UNION` etc. and the second operand, for compound queries.
    pub compound: Option<(String, String)>,
}

impl Select {
    /// The SQL text with `predicate` as its WHERE clause.
    pub fn sql_with(&self, predicate: Option<&str>) -> String {
        let mut sql = format!(
            "SELECT {}{} FROM {}",
            if self.distinct { "DISTINCT " } else { "" },
            self.projection.join(", "),
            self.from
        );
        if let Some(predicate) = predicate {
            sql.push_str(&format!(" WHERE {predicate}"));
        }
        if !self.group_by.is_empty() {
            sql.push_str(&format!(" GROUP BY {}", self.group_by.join(", ")));
        }
        if let Some(having) = &self.having {
            sql.push_str(&format!(" HAVING {having}"));
        }
        if let Some((op, other)) = &self.compound {
            sql.push_str(&format!(" {op} {other}"));
        }
        if let Some(limit) = self.limit {
            let positions: Vec<String> =
                (1..=self.projection.len()).map(|i| i.to_string()).collect();
            sql.push_str(&format!(" ORDER BY {} LIMIT {limit}", positions.join(", ")));
        }
        sql
    }

    pub fn sql(&self) -> String {
        self.sql_with(self.predicate.as_deref())
    }

    /// Whether the TLP oracle applies: a plain multiset query whose WHERE can be split.
    pub fn partitionable(&self) -> bool {
        !self.distinct
            && self.group_by.is_empty()
            && self.having.is_none()
            && self.limit.is_none()
            && self.compound.is_none()
            && !self.projection.iter().any(|p| is_aggregate(p))
    }
}

fn is_aggregate(expr: &str) -> bool {
    ["count(", "sum(", "min(", "max(", "avg(", "total("]
        .iter()
        .any(|name| expr.starts_with(name))
}

/// Generates expressions and queries over a schema.
pub struct QueryGen<'s> {
    pub schema: &'s Schema,
    /// Subquery nesting of the expression being generated.
    depth: usize,
}

const SUBQUERY_DEPTH_MAX: usize = 2;

impl<'s> QueryGen<'s> {
    pub fn new(schema: &'s Schema) -> QueryGen<'s> {
        QueryGen { schema, depth: 0 }
    }

    fn table(&self, rng: &mut Rng) -> &'s Table {
        rng.pick(&self.schema.tables)
    }

    /// A FROM clause over one or two tables (aliases `a`, `b`) and the columns it exposes.
    pub fn from(&mut self, rng: &mut Rng) -> (String, Vec<ColumnRef>) {
        let left = self.table(rng);
        let mut columns = refs(left, "a");
        if rng.chance(55) {
            return (format!("{} AS a", left.name), columns);
        }
        let right = self.table(rng);
        columns.extend(refs(right, "b"));
        let join = match rng.below(4) {
            0 => return (format!("{} AS a, {} AS b", left.name, right.name), columns),
            1 => "LEFT JOIN",
            _ => "JOIN",
        };
        let on = self.join_condition(rng, &columns);
        (
            format!("{} AS a {join} {} AS b ON {on}", left.name, right.name),
            columns,
        )
    }

    fn join_condition(&mut self, rng: &mut Rng, columns: &[ColumnRef]) -> String {
        let a: Vec<&ColumnRef> = columns
            .iter()
            .filter(|c| c.name.starts_with("a."))
            .collect();
        let b: Vec<&ColumnRef> = columns
            .iter()
            .filter(|c| c.name.starts_with("b."))
            .collect();
        let left = rng.pick(&a);
        let partners: Vec<&&ColumnRef> = b.iter().filter(|c| c.kind == left.kind).collect();
        if !partners.is_empty() && rng.chance(70) {
            let left = left.name.clone();
            let right = rng.pick(&partners).name.clone();
            let op = rng.pick(&["=", "=", "=", "<", ">=", "<>"]);
            let equal = format!("{left} {op} {right}");
            if rng.chance(30) {
                return format!("{equal} AND {}", self.predicate(rng, columns, 1));
            }
            return equal;
        }
        self.predicate(rng, columns, 2)
    }

    /// A value expression of `class`, at most `depth` levels deep.
    pub fn value(
        &mut self,
        rng: &mut Rng,
        columns: &[ColumnRef],
        depth: u32,
        class: Class,
    ) -> String {
        if depth == 0 || rng.chance(35) {
            return self.leaf(rng, columns, class);
        }
        let d = depth - 1;
        match (rng.below(12), class) {
            (0 | 1, Class::Number) => {
                let op = rng.pick(&["+", "-", "*", "/", "%"]);
                // Mostly numbers; text operands check the text-to-number conversion.
                let left = {
                    let class = Class::mostly_number(rng);
                    self.value(rng, columns, d, class)
                };
                let right = {
                    let class = Class::mostly_number(rng);
                    self.value(rng, columns, d, class)
                };
                format!("({left} {op} {right})")
            }
            (2, Class::Number) => format!("(- {})", self.value(rng, columns, d, class)),
            (0..=2, Class::Text) => {
                let left = {
                    let class = Class::mostly_text(rng);
                    self.value(rng, columns, d, class)
                };
                let right = {
                    let class = Class::mostly_text(rng);
                    self.value(rng, columns, d, class)
                };
                format!("({left} || {right})")
            }
            (3, _) => {
                let condition = self.predicate(rng, columns, d);
                let then = self.value(rng, columns, d, class);
                let otherwise = if rng.chance(70) {
                    format!(" ELSE {}", self.value(rng, columns, d, class))
                } else {
                    String::new()
                };
                format!("CASE WHEN {condition} THEN {then}{otherwise} END")
            }
            (4, _) => {
                let compared = Class::random(rng);
                let operand = self.value(rng, columns, d, compared);
                let when = self.leaf(rng, columns, compared);
                let then = self.value(rng, columns, d, class);
                let otherwise = self.value(rng, columns, d, class);
                format!("CASE {operand} WHEN {when} THEN {then} ELSE {otherwise} END")
            }
            (5 | 6, _) => self.function(rng, columns, d, class),
            (7, Class::Number) => {
                let kind = rng.pick(&["INTEGER", "REAL"]);
                let operand = {
                    let class = Class::random(rng);
                    self.value(rng, columns, d, class)
                };
                format!("CAST({operand} AS {kind})")
            }
            (7, Class::Text) => {
                let operand = {
                    let class = Class::mostly_text(rng);
                    self.value(rng, columns, d, class)
                };
                format!("CAST({operand} AS TEXT)")
            }
            (8, _) if self.depth < SUBQUERY_DEPTH_MAX => self.scalar_subquery(rng, columns, class),
            (_, Class::Number) => self.predicate(rng, columns, d),
            (_, Class::Text) => self.leaf(rng, columns, class),
        }
    }

    /// A column of `class` (when there is one) or a literal of it.
    fn leaf(&mut self, rng: &mut Rng, columns: &[ColumnRef], class: Class) -> String {
        let fitting: Vec<&ColumnRef> = columns.iter().filter(|c| class.holds(c.kind)).collect();
        if !fitting.is_empty() && rng.chance(60) {
            return rng.pick(&fitting).name.clone();
        }
        let kind = match class {
            Class::Number => *rng.pick(&[Kind::Integer, Kind::Integer, Kind::Real]),
            Class::Text => Kind::Text,
        };
        literal_of(rng, kind)
    }

    fn function(
        &mut self,
        rng: &mut Rng,
        columns: &[ColumnRef],
        depth: u32,
        class: Class,
    ) -> String {
        let mut arg = |rng: &mut Rng, class: Class| self.value(rng, columns, depth, class);
        match (rng.below(6), class) {
            (0, Class::Number) => format!("abs({})", arg(rng, class)),
            (0, Class::Text) => format!("lower({})", arg(rng, class)),
            (1, Class::Number) => format!("length({})", arg(rng, Class::Text)),
            (1, Class::Text) => format!("upper({})", arg(rng, class)),
            (2, _) => format!("coalesce({}, {})", arg(rng, class), arg(rng, class)),
            (3, _) => format!("nullif({}, {})", arg(rng, class), arg(rng, class)),
            (4, _) => format!("ifnull({}, {})", arg(rng, class), arg(rng, class)),
            _ => {
                let name = rng.pick(&["min", "max"]);
                format!("{name}({}, {})", arg(rng, class), arg(rng, class))
            }
        }
    }

    /// A predicate (TRUE, FALSE or NULL; sometimes a number, which WHERE also accepts).
    /// Compared operands always have the same class: EmberDB applies no column affinity in
    /// comparisons (docs/sql.md), so `int_column = '1'` is a documented difference.
    pub fn predicate(&mut self, rng: &mut Rng, columns: &[ColumnRef], depth: u32) -> String {
        if depth == 0 {
            return self.comparison(rng, columns, 0);
        }
        let d = depth - 1;
        let class = Class::random(rng);
        match rng.below(16) {
            0 | 1 => format!(
                "({} AND {})",
                self.predicate(rng, columns, d),
                self.predicate(rng, columns, d)
            ),
            2 | 3 => format!(
                "({} OR {})",
                self.predicate(rng, columns, d),
                self.predicate(rng, columns, d)
            ),
            4 => format!("(NOT {})", self.predicate(rng, columns, d)),
            5 => {
                let not = if rng.chance(50) { " NOT" } else { "" };
                format!("({} IS{not} NULL)", self.value(rng, columns, d, class))
            }
            6 => {
                let not = if rng.chance(30) { " NOT" } else { "" };
                let operand = self.value(rng, columns, d, class);
                let low = self.leaf(rng, columns, class);
                let high = self.leaf(rng, columns, class);
                format!("({operand}{not} BETWEEN {low} AND {high})")
            }
            7 => {
                let not = if rng.chance(30) { " NOT" } else { "" };
                let operand = self.value(rng, columns, d, class);
                let items: Vec<String> = (0..1 + rng.below(4))
                    .map(|_| self.leaf(rng, columns, class))
                    .collect();
                format!("({operand}{not} IN ({}))", items.join(", "))
            }
            8 => {
                let not = if rng.chance(30) { " NOT" } else { "" };
                let operand = {
                    let class = Class::mostly_text(rng);
                    self.value(rng, columns, d, class)
                };
                let pattern = rng.pick(&[
                    "'a%'", "'%b'", "'_'", "'%'", "'A_C'", "'1%'", "''", "'ab%'", "'AB%'", "'-%'",
                    "'a_%'",
                ]);
                if rng.chance(30) {
                    let pattern = rng.pick(&["'a*'", "'A*'", "'ab*'", "'1*'", "'?'", "'[a-b]*'"]);
                    return format!("({operand}{not} GLOB {pattern})");
                }
                format!("({operand}{not} LIKE {pattern})")
            }
            9 => {
                // sqlparser does not parse SQLite's `a IS b`; both engines know this form.
                let not = if rng.chance(40) { " NOT" } else { "" };
                let left = self.value(rng, columns, d, class);
                let right = self.value(rng, columns, d, class);
                format!("({left} IS{not} DISTINCT FROM {right})")
            }
            10 if self.depth < SUBQUERY_DEPTH_MAX => self.in_subquery(rng, columns),
            11 if self.depth < SUBQUERY_DEPTH_MAX => self.exists(rng, columns),
            12 => self.value(rng, columns, d, Class::Number),
            _ => self.comparison(rng, columns, d),
        }
    }

    fn comparison(&mut self, rng: &mut Rng, columns: &[ColumnRef], depth: u32) -> String {
        let op = rng.pick(&["=", "<>", "<", "<=", ">", ">=", "==", "!="]);
        let class = Class::random(rng);
        let left = self.value(rng, columns, depth, class);
        let right = self.value(rng, columns, depth, class);
        format!("({left} {op} {right})")
    }

    /// Runs `f` with a subquery scope over one table aliased `s{depth}`: its columns and,
    /// half the time, the enclosing query's `columns` (a correlated subquery).
    fn in_subquery_scope<T>(
        &mut self,
        rng: &mut Rng,
        columns: &[ColumnRef],
        f: impl FnOnce(&mut Self, &mut Rng, &[ColumnRef], &[ColumnRef], &str) -> T,
    ) -> T {
        let table = self.table(rng);
        let alias = format!("s{}", self.depth);
        let own = refs(table, &alias);
        let mut visible = own.clone();
        if rng.chance(50) {
            visible.extend(columns.iter().cloned());
        }
        let from = format!("{} AS {alias}", table.name);
        self.depth += 1;
        let result = f(self, rng, &own, &visible, &from);
        self.depth -= 1;
        result
    }

    fn subquery_where(&mut self, rng: &mut Rng, visible: &[ColumnRef]) -> String {
        if rng.chance(70) {
            format!(" WHERE {}", self.predicate(rng, visible, 1))
        } else {
            String::new()
        }
    }

    /// `(SELECT agg(x) FROM t AS s WHERE ...)`: exactly one row whatever the data.
    fn scalar_subquery(&mut self, rng: &mut Rng, columns: &[ColumnRef], class: Class) -> String {
        self.in_subquery_scope(rng, columns, |gen, rng, own, visible, from| {
            let aggregate = aggregate_call(gen, rng, own, class);
            let filter = gen.subquery_where(rng, visible);
            format!("(SELECT {aggregate} FROM {from}{filter})")
        })
    }

    fn in_subquery(&mut self, rng: &mut Rng, columns: &[ColumnRef]) -> String {
        let not = if rng.chance(30) { " NOT" } else { "" };
        let outer = columns.to_vec();
        self.in_subquery_scope(rng, columns, |gen, rng, own, visible, from| {
            let selected = rng.pick(own).clone();
            let operand = gen.leaf(rng, &outer, Class::of(selected.kind));
            let filter = gen.subquery_where(rng, visible);
            let name = selected.name;
            format!("({operand}{not} IN (SELECT {name} FROM {from}{filter}))")
        })
    }

    fn exists(&mut self, rng: &mut Rng, columns: &[ColumnRef]) -> String {
        let not = if rng.chance(30) { "NOT " } else { "" };
        self.in_subquery_scope(rng, columns, |gen, rng, _, visible, from| {
            let filter = gen.subquery_where(rng, visible);
            format!("({not}EXISTS (SELECT 1 FROM {from}{filter}))")
        })
    }

    /// A random SELECT: plain, DISTINCT, aggregate (grouped or not), compound or limited.
    pub fn select(&mut self, rng: &mut Rng) -> Select {
        let (from, columns) = self.from(rng);
        let depth = 1 + rng.below(3) as u32;
        let predicate = rng.chance(80).then(|| self.predicate(rng, &columns, depth));
        let mut select = Select {
            distinct: false,
            projection: Vec::new(),
            from,
            predicate,
            group_by: Vec::new(),
            having: None,
            limit: None,
            compound: None,
        };
        match rng.below(10) {
            0 | 1 => {
                // Aggregates, grouped by column expressions (bare columns would be ambiguous).
                // Keys read a column: a constant integer key would be a position.
                let keys: Vec<String> = (0..rng.below(3))
                    .map(|_| {
                        let column = rng.pick(&columns).clone();
                        match rng.below(3) {
                            0 => format!("({} + 1)", column.name),
                            1 => {
                                let default = self.leaf(rng, &columns, Class::of(column.kind));
                                format!("coalesce({}, {default})", column.name)
                            }
                            _ => column.name,
                        }
                    })
                    .collect();
                select.projection = keys.clone();
                for _ in 0..1 + rng.below(3) {
                    let class = Class::random(rng);
                    select
                        .projection
                        .push(aggregate_call(self, rng, &columns, class));
                }
                if !keys.is_empty() && rng.chance(40) {
                    let op = rng.pick(&["<", ">=", "<>"]);
                    let bound = rng.below(4);
                    let aggregate = aggregate_call(self, rng, &columns, Class::Number);
                    select.having = Some(format!("{aggregate} {op} {bound}"));
                }
                select.group_by = keys;
            }
            2 => {
                select.distinct = true;
                select.projection = self.projection(rng, &columns);
            }
            3 => {
                // A compound of two single-column queries over one table each.
                let class = Class::random(rng);
                select.projection = vec![self.value(rng, &columns, 1, class)];
                let op = rng.pick(&["UNION", "UNION ALL", "INTERSECT", "EXCEPT"]);
                let (other_from, other_columns) = self.from(rng);
                let expr = self.value(rng, &other_columns, 1, class);
                let filter = self.predicate(rng, &other_columns, 1);
                let other = format!("SELECT {expr} FROM {other_from} WHERE {filter}");
                select.compound = Some((op.to_string(), other));
            }
            4 => {
                select.projection = self.projection(rng, &columns);
                select.limit = Some(rng.below(5));
            }
            _ => select.projection = self.projection(rng, &columns),
        }
        select
    }

    fn projection(&mut self, rng: &mut Rng, columns: &[ColumnRef]) -> Vec<String> {
        let depth = 1 + rng.below(3) as u32;
        (0..1 + rng.below(3))
            .map(|_| {
                let class = Class::random(rng);
                self.value(rng, columns, depth, class)
            })
            .collect()
    }
}

/// An aggregate of `class` over an expression of `columns`, whose value does not depend on
/// row order (no group_concat).
fn aggregate_call(
    gen: &mut QueryGen<'_>,
    rng: &mut Rng,
    columns: &[ColumnRef],
    class: Class,
) -> String {
    let number = gen.value(rng, columns, 1, Class::Number);
    match (rng.below(7), class) {
        (0, Class::Number) => "count(*)".to_string(),
        (1, Class::Number) => format!("count({})", {
            let class = Class::random(rng);
            gen.value(rng, columns, 1, class)
        }),
        (2, Class::Number) => {
            format!("count(DISTINCT {})", {
                let class = Class::random(rng);
                gen.value(rng, columns, 1, class)
            })
        }
        (3, Class::Number) => format!("sum({number})"),
        (4, Class::Number) => format!("total({number})"),
        (5, Class::Number) => format!("avg({number})"),
        (6, Class::Number) => format!("sum(DISTINCT {number})"),
        _ => {
            let name = rng.pick(&["min", "max"]);
            format!("{name}({})", gen.value(rng, columns, 1, class))
        }
    }
}

/// The two kinds of values the generator keeps apart in comparisons.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    Number,
    Text,
}

impl Class {
    pub fn of(kind: Kind) -> Class {
        match kind {
            Kind::Integer | Kind::Real => Class::Number,
            Kind::Text => Class::Text,
        }
    }

    fn holds(self, kind: Kind) -> bool {
        Class::of(kind) == self
    }

    fn random(rng: &mut Rng) -> Class {
        if rng.chance(70) {
            Class::Number
        } else {
            Class::Text
        }
    }

    fn mostly_number(rng: &mut Rng) -> Class {
        if rng.chance(85) {
            Class::Number
        } else {
            Class::Text
        }
    }

    fn mostly_text(rng: &mut Rng) -> Class {
        if rng.chance(85) {
            Class::Text
        } else {
            Class::Number
        }
    }
}

/// The columns of `table` as `alias.column`.
pub fn refs(table: &Table, alias: &str) -> Vec<ColumnRef> {
    table
        .columns
        .iter()
        .map(|c| ColumnRef {
            name: format!("{alias}.{}", c.name),
            kind: c.kind,
        })
        .collect()
}
