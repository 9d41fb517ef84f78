//! Random statements in the SQL applications write daily: common table
//! expressions (recursive too, and one CTE read twice), window functions with random
//! partitions, orders, frames, EXCLUDE and FILTER, every join form (RIGHT, FULL, NATURAL,
//! USING, parenthesized), and upserts and RETURNING on a keyed table `u`. Like `query.rs`,
//! nothing generated has an answer that depends on row order: a window whose ORDER BY does
//! not cover every column only gets peer-based frames and order-insensitive functions.

use super::gen::{literal_of, Column, Kind, Rng, Schema, Table};
use super::query::{refs, Class, ColumnRef, QueryGen};

/// The keyed table upserts and RETURNING write to.
pub const KEYED_TABLE: &str = "u";
/// Keys of `u` are drawn from `0..KEY_RANGE`, so inserts often collide.
const KEY_RANGE: u64 = 12;

/// One generated statement.
pub enum Statement {
    /// A query: both engines must give the same rows.
    Query(String),
    /// A write to `KEYED_TABLE`: the same RETURNING rows (if any) and, after it, the same
    /// table contents.
    Write(String),
}

/// Setup of the keyed table `u(k INTEGER PRIMARY KEY, v REAL, w TEXT)` with a few rows.
pub fn keyed_table_setup(rng: &mut Rng) -> Vec<String> {
    let mut statements = vec![format!(
        "CREATE TABLE {KEYED_TABLE}(k INTEGER PRIMARY KEY, v REAL, w TEXT)"
    )];
    let mut rows = Vec::new();
    for k in 0..KEY_RANGE {
        if rng.chance(50) {
            let (v, w) = (literal_of(rng, Kind::Real), literal_of(rng, Kind::Text));
            rows.push(format!("({k}, {v}, {w})"));
        }
    }
    if !rows.is_empty() {
        statements.push(format!(
            "INSERT INTO {KEYED_TABLE} VALUES {}",
            rows.join(", ")
        ));
    }
    statements
}

/// The keyed table as the generator sees it.
pub fn keyed_table() -> Table {
    let column = |name: &str, kind| Column {
        name: name.to_string(),
        kind,
    };
    Table {
        name: KEYED_TABLE.to_string(),
        columns: vec![
            column("k", Kind::Integer),
            column("v", Kind::Real),
            column("w", Kind::Text),
        ],
    }
}

/// Generates the statements of this module over a schema.
pub struct ModernGen<'s> {
    schema: &'s Schema,
    queries: QueryGen<'s>,
}

impl<'s> ModernGen<'s> {
    pub fn new(schema: &'s Schema) -> ModernGen<'s> {
        ModernGen {
            schema,
            queries: QueryGen::new(schema),
        }
    }

    pub fn statement(&mut self, rng: &mut Rng) -> Statement {
        match rng.below(10) {
            0 | 1 => Statement::Query(self.cte(rng)),
            2 | 3 => Statement::Query(self.recursive_cte(rng)),
            4..=6 => Statement::Query(self.window(rng)),
            7 => Statement::Query(self.join(rng)),
            _ => Statement::Write(self.write(rng)),
        }
    }

    fn table(&self, rng: &mut Rng) -> &'s Table {
        rng.pick(&self.schema.tables)
    }

    fn predicate(&mut self, rng: &mut Rng, columns: &[ColumnRef]) -> String {
        let depth = 1 + rng.below(2) as u32;
        self.queries.predicate(rng, columns, depth)
    }

    fn value_of(&mut self, rng: &mut Rng, columns: &[ColumnRef], class: Class) -> String {
        let depth = 1 + rng.below(2) as u32;
        self.queries.value(rng, columns, depth, class)
    }

    /// `WITH c(x0, ..) AS (SELECT .. FROM t WHERE p) SELECT ..`: read once, or twice (a
    /// self join of the CTE), or from a subquery.
    fn cte(&mut self, rng: &mut Rng) -> String {
        let source = self.table(rng);
        let source_columns = refs(source, "a");
        let inner_filter = if rng.chance(60) {
            format!(" WHERE {}", self.predicate(rng, &source_columns))
        } else {
            String::new()
        };
        let names: Vec<String> = (0..source.columns.len()).map(|i| format!("x{i}")).collect();
        let projection: Vec<&str> = source_columns.iter().map(|c| c.name.as_str()).collect();
        let head = format!(
            "WITH c({}) AS (SELECT {} FROM {} AS a{inner_filter})",
            names.join(", "),
            projection.join(", "),
            source.name
        );
        let cte = Table {
            name: "c".to_string(),
            columns: source
                .columns
                .iter()
                .zip(&names)
                .map(|(column, name)| Column {
                    name: name.clone(),
                    kind: column.kind,
                })
                .collect(),
        };
        let p = refs(&cte, "p");
        match rng.below(3) {
            0 => {
                let q = refs(&cte, "q");
                let (left, right) = (rng.pick(&p).clone(), rng.pick(&q).clone());
                let mut both = p.clone();
                both.extend(q);
                let value = {
                    let class = Class::of(left.kind);
                    self.value_of(rng, &both, class)
                };
                format!(
                    "{head} SELECT {}, {value} FROM c AS p JOIN c AS q ON {} = {}",
                    left.name, left.name, right.name
                )
            }
            1 => {
                let filter = self.predicate(rng, &p);
                let column = rng.pick(&p).name.clone();
                format!("{head} SELECT count(*), max({column}) FROM c AS p WHERE {filter}")
            }
            _ => {
                let class = Class::of(p[0].kind);
                let value = self.value_of(rng, &p, class);
                format!("{head} SELECT {value} FROM c AS p")
            }
        }
    }

    /// A recursive CTE: a counter with a computed column (UNION or UNION ALL, a bound on
    /// the depth), a walk from a table's rows, or an unbounded counter stopped by LIMIT.
    fn recursive_cte(&mut self, rng: &mut Rng) -> String {
        let union = *rng.pick(&["UNION", "UNION ALL"]);
        let depth = 1 + rng.below(25);
        match rng.below(3) {
            0 => {
                let counter = Table {
                    name: "r".to_string(),
                    columns: vec![
                        Column {
                            name: "n".to_string(),
                            kind: Kind::Integer,
                        },
                        Column {
                            name: "x".to_string(),
                            kind: Kind::Integer,
                        },
                    ],
                };
                let columns = refs(&counter, "r");
                let step = self.value_of(rng, &columns, Class::Number);
                let start = literal_of(rng, Kind::Integer);
                format!(
                    "WITH RECURSIVE r(n, x) AS (SELECT 0, {start} {union} \
                     SELECT r.n + 1, {step} FROM r WHERE r.n < {depth}) SELECT n, x FROM r"
                )
            }
            1 => {
                let source = self.table(rng);
                let column = rng.pick(&source.columns).clone();
                let step = match column.kind {
                    Kind::Text => "w.v || 'z'",
                    _ => "w.v + 1",
                };
                let levels = rng.below(4);
                format!(
                    "WITH RECURSIVE w(v, d) AS (SELECT {}, 0 FROM {} {union} \
                     SELECT {step}, w.d + 1 FROM w WHERE w.d < {levels}) \
                     SELECT v, d FROM w",
                    column.name, source.name
                )
            }
            _ => {
                let limit = rng.below(8);
                format!(
                    "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) \
                     SELECT n FROM r LIMIT {limit}"
                )
            }
        }
    }

    /// A SELECT of a table's columns with one to three window functions.
    fn window(&mut self, rng: &mut Rng) -> String {
        let table = self.table(rng);
        let columns = refs(table, "a");
        let total_order = rng.chance(50);
        let partition: Vec<String> = (0..rng.below(3))
            .map(|_| rng.pick(&columns).name.clone())
            .collect();
        let order_columns: Vec<&ColumnRef> = if total_order {
            columns.iter().collect()
        } else {
            (0..rng.below(2)).map(|_| rng.pick(&columns)).collect()
        };
        let order: Vec<String> = order_columns
            .iter()
            .map(|c| {
                let direction = rng.pick(&["", " ASC", " DESC"]);
                let nulls = rng.pick(&["", "", " NULLS FIRST", " NULLS LAST"]);
                format!("{}{direction}{nulls}", c.name)
            })
            .collect();
        let single_integer_order =
            order_columns.len() == 1 && order_columns[0].kind == Kind::Integer;
        let mut spec = String::new();
        if !partition.is_empty() {
            spec.push_str(&format!("PARTITION BY {}", partition.join(", ")));
        }
        if !order.is_empty() {
            if !spec.is_empty() {
                spec.push(' ');
            }
            spec.push_str(&format!("ORDER BY {}", order.join(", ")));
        }
        let named = rng.chance(25);
        let mut calls = Vec::new();
        for _ in 0..1 + rng.below(3) {
            let frame = frame(rng, total_order, !order.is_empty(), single_integer_order);
            let function = self.window_function(rng, &columns, total_order);
            let over = if named && frame.is_empty() {
                "OVER w".to_string()
            } else if named {
                format!("OVER (w {frame})")
            } else {
                format!("OVER ({spec} {frame})")
            };
            calls.push(format!("{function} {over}"));
        }
        let projection: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        let filter = if rng.chance(30) {
            format!(" WHERE {}", self.predicate(rng, &columns))
        } else {
            String::new()
        };
        let window_clause = if named {
            format!(" WINDOW w AS ({spec})")
        } else {
            String::new()
        };
        format!(
            "SELECT {}, {} FROM {} AS a{filter}{window_clause}",
            projection.join(", "),
            calls.join(", "),
            table.name
        )
    }

    /// A window function call (without OVER). With a partial order, only functions whose
    /// value does not depend on the order among peers.
    fn window_function(&mut self, rng: &mut Rng, columns: &[ColumnRef], total: bool) -> String {
        let any = {
            let class = if rng.chance(70) {
                Class::Number
            } else {
                Class::Text
            };
            self.value_of(rng, columns, class)
        };
        let number = self.value_of(rng, columns, Class::Number);
        let filter = if rng.chance(20) {
            format!(" FILTER (WHERE {})", self.predicate(rng, columns))
        } else {
            String::new()
        };
        let offset = 1 + rng.below(3);
        let peer_safe = [
            "rank()".to_string(),
            "dense_rank()".to_string(),
            "percent_rank()".to_string(),
            "cume_dist()".to_string(),
            format!("count(*){filter}"),
            format!("count({any}){filter}"),
            format!("sum({number}){filter}"),
            format!("total({number}){filter}"),
            format!("min({any}){filter}"),
            format!("max({any}){filter}"),
        ];
        if !total || rng.chance(40) {
            return rng.pick(&peer_safe).clone();
        }
        let default = literal_of(rng, Kind::Integer);
        let order_dependent = [
            "row_number()".to_string(),
            format!("ntile({offset})"),
            format!("lag({any})"),
            format!("lag({any}, {offset}, {default})"),
            format!("lead({any}, {offset})"),
            format!("first_value({any})"),
            format!("last_value({any})"),
            format!("nth_value({any}, {offset})"),
            format!("group_concat({any}, '.'){filter}"),
            format!("avg({number}){filter}"),
        ];
        rng.pick(&order_dependent).clone()
    }

    /// A join of two or three tables in one of the forms SQLite has.
    fn join(&mut self, rng: &mut Rng) -> String {
        let (left, right) = (self.table(rng), self.table(rng));
        let mut columns = refs(left, "a");
        columns.extend(refs(right, "b"));
        let kind = *rng.pick(&[
            "JOIN",
            "LEFT JOIN",
            "RIGHT JOIN",
            "FULL JOIN",
            "FULL OUTER JOIN",
            "CROSS JOIN",
        ]);
        let condition = |gen: &mut ModernGen<'_>, rng: &mut Rng, columns: &[ColumnRef]| {
            if rng.chance(70) {
                let a = rng.pick(columns).clone();
                let same: Vec<&ColumnRef> = columns
                    .iter()
                    .filter(|c| Class::of(c.kind) == Class::of(a.kind) && c.name != a.name)
                    .collect();
                match same.is_empty() {
                    true => gen.predicate(rng, columns),
                    false => format!("{} = {}", a.name, rng.pick(&same).name),
                }
            } else {
                gen.predicate(rng, columns)
            }
        };
        let mut from = match (kind, rng.below(5)) {
            ("CROSS JOIN", _) => format!("{} AS a CROSS JOIN {} AS b", left.name, right.name),
            (_, 0) => format!("{} AS a NATURAL {kind} {} AS b", left.name, right.name),
            (_, 1) => format!("{} AS a {kind} {} AS b USING (c0)", left.name, right.name),
            _ => {
                let on = condition(self, rng, &columns);
                format!("{} AS a {kind} {} AS b ON {on}", left.name, right.name)
            }
        };
        let mut star_allowed = from.contains("NATURAL") || from.contains("USING");
        if rng.chance(35) {
            // SQLite calls `*` over a USING join inside a larger join ambiguous when the
            // third table repeats the merged name; only named columns then.
            star_allowed = false;
            let third = self.table(rng);
            columns.extend(refs(third, "c"));
            let outer = *rng.pick(&["JOIN", "LEFT JOIN", "RIGHT JOIN", "FULL JOIN"]);
            let on = condition(self, rng, &columns);
            from = match rng.chance(50) {
                true => format!("({from}) {outer} {} AS c ON {on}", third.name),
                false => format!("{} AS c {outer} ({from}) ON {on}", third.name),
            };
        }
        let projection = if star_allowed && rng.chance(50) {
            "*".to_string()
        } else {
            let values: Vec<String> = (0..1 + rng.below(3))
                .map(|_| {
                    let column = rng.pick(&columns).clone();
                    column.name
                })
                .collect();
            values.join(", ")
        };
        let filter = if rng.chance(40) {
            format!(" WHERE {}", self.predicate(rng, &columns))
        } else {
            String::new()
        };
        format!("SELECT {projection} FROM {from}{filter}")
    }

    /// An upsert, UPDATE or DELETE of the keyed table, often with RETURNING.
    fn write(&mut self, rng: &mut Rng) -> String {
        let table = keyed_table();
        let columns = refs(&table, KEYED_TABLE);
        let excluded: Vec<ColumnRef> = refs(&table, "excluded");
        let returning = match rng.below(4) {
            0 => String::new(),
            1 => " RETURNING *".to_string(),
            _ => {
                let value = self.value_of(rng, &columns, Class::Number);
                format!(" RETURNING k, {value}")
            }
        };
        match rng.below(5) {
            0 | 1 => {
                let rows: Vec<String> = (0..1 + rng.below(3))
                    .map(|_| {
                        format!(
                            "({}, {}, {})",
                            rng.below(KEY_RANGE),
                            literal_of(rng, Kind::Real),
                            literal_of(rng, Kind::Text)
                        )
                    })
                    .collect();
                let mut both = columns.clone();
                both.extend(excluded);
                let action = match rng.below(3) {
                    0 => "DO NOTHING".to_string(),
                    _ => {
                        let v = self.value_of(rng, &both, Class::Number);
                        let w = self.value_of(rng, &both, Class::Text);
                        let condition = if rng.chance(40) {
                            format!(" WHERE {}", self.predicate(rng, &both))
                        } else {
                            String::new()
                        };
                        format!("DO UPDATE SET v = {v}, w = {w}{condition}")
                    }
                };
                let target = if action == "DO NOTHING" && rng.chance(50) {
                    ""
                } else {
                    "(k)"
                };
                format!(
                    "INSERT INTO {KEYED_TABLE} VALUES {} ON CONFLICT{target} {action}{returning}",
                    rows.join(", ")
                )
            }
            2 | 3 => {
                // OR IGNORE / OR REPLACE moving keys onto each other's.
                let or = match rng.below(4) {
                    0 => " OR IGNORE",
                    1 => " OR REPLACE",
                    _ => "",
                };
                let set = if !or.is_empty() && rng.chance(50) {
                    format!("k = k + {}", 1 + rng.below(3))
                } else {
                    format!("v = {}", self.value_of(rng, &columns, Class::Number))
                };
                let filter = self.predicate(rng, &columns);
                if rng.chance(25) {
                    if let Some(from) = self.update_from(rng) {
                        return format!(
                            "UPDATE{or} {KEYED_TABLE} SET {set}, w = f.n {from}{returning}"
                        );
                    }
                }
                format!("UPDATE{or} {KEYED_TABLE} SET {set} WHERE {filter}{returning}")
            }
            _ => {
                let filter = self.predicate(rng, &columns);
                format!("DELETE FROM {KEYED_TABLE} WHERE {filter}{returning}")
            }
        }
    }
}

impl ModernGen<'_> {
    /// `FROM (...) AS f WHERE f.fk = u.k`: an UPDATE ... FROM whose FROM rows are grouped
    /// by an INTEGER column of a random table, so each target row joins at most one (the
    /// answer does not depend on which of several SQLite would take). `None` when that
    /// table has no INTEGER column.
    fn update_from(&mut self, rng: &mut Rng) -> Option<String> {
        let table = rng.pick(&self.schema.tables);
        let column = table.columns.iter().find(|c| c.kind == Kind::Integer)?;
        let (name, column) = (&table.name, &column.name);
        Some(format!(
            "FROM (SELECT {column} AS fk, count(*) AS n FROM {name} GROUP BY {column}) AS f \
             WHERE f.fk = {KEYED_TABLE}.k"
        ))
    }
}

/// A frame clause (or none). ROWS frames only under a total order; RANGE with an offset
/// only over a single INTEGER ORDER BY term; GROUPS needs an ORDER BY.
fn frame(rng: &mut Rng, total_order: bool, ordered: bool, single_integer: bool) -> String {
    if rng.chance(30) {
        return String::new();
    }
    let mut units = vec!["RANGE"];
    if ordered {
        units.push("GROUPS");
    }
    if total_order {
        units.push("ROWS");
    }
    let unit = *rng.pick(&units);
    let offsets = unit != "RANGE" || single_integer;
    let n = rng.below(3);
    let mut starts = vec!["UNBOUNDED PRECEDING".to_string(), "CURRENT ROW".to_string()];
    let mut ends = vec!["UNBOUNDED FOLLOWING".to_string(), "CURRENT ROW".to_string()];
    if offsets && ordered {
        starts.push(format!("{n} PRECEDING"));
        starts.push(format!("{n} FOLLOWING"));
        ends.push(format!("{n} PRECEDING"));
        ends.push(format!("{n} FOLLOWING"));
    }
    let start = rng.pick(&starts).clone();
    let end = rng.pick(&ends).clone();
    let exclude = match rng.below(8) {
        0 => " EXCLUDE CURRENT ROW",
        1 => " EXCLUDE GROUP",
        2 => " EXCLUDE TIES",
        3 => " EXCLUDE NO OTHERS",
        _ => "",
    };
    format!("{unit} BETWEEN {start} AND {end}{exclude}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_every_kind_of_statement() {
        let mut rng = Rng::new(7);
        let schema = Schema::random(&mut rng);
        let mut gen = ModernGen::new(&schema);
        let mut seen = [false; 5];
        for _ in 0..500 {
            let sql = match gen.statement(&mut rng) {
                Statement::Query(sql) | Statement::Write(sql) => sql,
            };
            for (i, word) in ["WITH", "RECURSIVE", "OVER", "JOIN", "ON CONFLICT"]
                .iter()
                .enumerate()
            {
                seen[i] |= sql.contains(word);
            }
        }
        assert_eq!(seen, [true; 5]);
    }
}
