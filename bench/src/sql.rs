//! The SQL text every engine runs. `Query` names each statement, so an engine can hold its
//! prepared statements in an array indexed by it; Stoolap takes `$N` placeholders, which
//! `dollar_placeholders` derives from the `?` text.

pub const CREATE: &str =
    "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, email TEXT, age INTEGER, score REAL)";
pub const INSERT: &str = "INSERT INTO t(id, name, email, age, score) VALUES (?, ?, ?, ?, ?)";
pub const SELECT: &str = "SELECT age FROM t WHERE id = ?";
pub const UPDATE: &str = "UPDATE t SET score = ? WHERE id = ?";
pub const GROUP_BY: &str = "SELECT age, COUNT(*), AVG(score) FROM t GROUP BY age";

/// Every statement of the bench. The discriminant indexes per-engine statement arrays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Query {
    Begin,
    Commit,
    // W1-W7 on `t`.
    Insert,
    SelectAge,
    SelectRow,
    Update,
    GroupByAge,
    // W2C / W2L: `t` as a cache table (EmberDB only), and back.
    CacheLru,
    CacheLfu,
    CacheOff,
    // The tables of the R/K/J/G/S/Q workloads (`tables.rs`).
    CreateU,
    InsertU,
    CreateO,
    InsertO,
    CreateC,
    InsertC,
    CreateR,
    IndexR,
    InsertR,
    CreateLineitem,
    InsertLineitem,
    IndexO,
    CreateP,
    IndexP,
    InsertP,
    CreateP2,
    IndexP2,
    // The R/K/J/G/S/Q workloads (`queries.rs`).
    RangeUnindexed,
    RangeIndexed,
    TopK,
    TopKIndexed,
    KeyJoin,
    EquiJoin,
    GroupByText,
    StarJoin,
    SecondaryPoint,
    TpchQ1,
    TpchQ6,
    // The workloads checked against SQLite (`queries.rs`), and the statements around them.
    DeleteP2,
    CopyP,
    SumP2,
    CreateIndexName,
    NameRange,
    DropIndexName,
    PageIndexed,
    PageUnindexed,
    GroupByTwo,
    LikeInfix,
    CountDistinct,
    Correlated,
    CorrelatedEveryRow,
    JoinTopK,
}

impl Query {
    /// How many queries there are (the length of a statement array).
    pub const COUNT: usize = Query::JoinTopK as usize + 1;

    /// This statement's index in a statement array.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The SQL text, with `?` placeholders.
    pub fn text(self) -> &'static str {
        match self {
            Query::Begin => "BEGIN",
            Query::Commit => "COMMIT",
            Query::Insert => INSERT,
            Query::SelectAge => SELECT,
            Query::SelectRow => "SELECT * FROM t WHERE id = ?",
            Query::Update => UPDATE,
            Query::GroupByAge => GROUP_BY,
            Query::CacheLru => "ALTER TABLE t SET (max_memory = '1GB', on_full = 'evict_lru')",
            Query::CacheLfu => "ALTER TABLE t SET (max_memory = '1GB', on_full = 'evict_lfu')",
            Query::CacheOff => "ALTER TABLE t SET (max_memory = NULL, on_full = NULL)",
            Query::CreateU => {
                "CREATE TABLE u(id INTEGER PRIMARY KEY, name TEXT, city TEXT, age INTEGER, \
                 score REAL, code INTEGER)"
            }
            Query::InsertU => {
                "INSERT INTO u(id, name, city, age, score, code) VALUES (?, ?, ?, ?, ?, ?)"
            }
            Query::CreateO => {
                "CREATE TABLE o(id INTEGER PRIMARY KEY, tid INTEGER, code INTEGER, qty INTEGER)"
            }
            Query::InsertO => "INSERT INTO o(id, tid, code, qty) VALUES (?, ?, ?, ?)",
            Query::CreateC => "CREATE TABLE c(id INTEGER PRIMARY KEY, name TEXT, region TEXT)",
            Query::InsertC => "INSERT INTO c(id, name, region) VALUES (?, ?, ?)",
            Query::CreateR => {
                "CREATE TABLE r(id INTEGER PRIMARY KEY, k INTEGER, v REAL, note TEXT)"
            }
            Query::IndexR => "CREATE INDEX r_k ON r(k)",
            Query::InsertR => "INSERT INTO r(id, k, v, note) VALUES (?, ?, ?, ?)",
            Query::CreateLineitem => {
                "CREATE TABLE lineitem(id INTEGER PRIMARY KEY, l_orderkey INTEGER, \
                 l_quantity REAL, l_extendedprice REAL, l_discount REAL, l_tax REAL, \
                 l_returnflag TEXT, l_linestatus TEXT, l_shipdate INTEGER)"
            }
            Query::InsertLineitem => {
                "INSERT INTO lineitem(id, l_orderkey, l_quantity, l_extendedprice, l_discount, \
                 l_tax, l_returnflag, l_linestatus, l_shipdate) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            }
            Query::IndexO => "CREATE INDEX o_tid ON o(tid)",
            Query::CreateP => {
                "CREATE TABLE p(id INTEGER PRIMARY KEY, name TEXT, email TEXT, city TEXT, \
                 age INTEGER, zip INTEGER, score REAL)"
            }
            Query::IndexP => "CREATE INDEX p_email ON p(email)",
            Query::InsertP => {
                "INSERT INTO p(id, name, email, city, age, zip, score) \
                 VALUES (?, ?, ?, ?, ?, ?, ?)"
            }
            Query::CreateP2 => {
                "CREATE TABLE p2(id INTEGER PRIMARY KEY, name TEXT, email TEXT, city TEXT, \
                 age INTEGER, zip INTEGER, score REAL)"
            }
            Query::IndexP2 => "CREATE INDEX p2_email ON p2(email)",
            Query::RangeUnindexed => "SELECT count(*), sum(score) FROM u WHERE age BETWEEN ? AND ?",
            Query::RangeIndexed => "SELECT count(*), sum(v) FROM r WHERE k BETWEEN ? AND ?",
            Query::TopK => "SELECT * FROM u ORDER BY score DESC LIMIT 10",
            Query::TopKIndexed => "SELECT * FROM r ORDER BY k DESC LIMIT 10",
            Query::KeyJoin => "SELECT count(*), sum(u.score) FROM o JOIN u ON u.id = o.tid",
            Query::EquiJoin => "SELECT count(*), sum(u.score) FROM o JOIN u ON u.code = o.code",
            Query::GroupByText => "SELECT city, count(*), sum(score) FROM u GROUP BY city",
            Query::StarJoin => {
                "SELECT c.region, count(*), sum(o.qty) FROM o JOIN u ON u.id = o.tid \
                 JOIN c ON c.name = u.city GROUP BY c.region"
            }
            Query::SecondaryPoint => "SELECT * FROM r WHERE k = ?",
            Query::TpchQ1 => {
                "SELECT l_returnflag, l_linestatus, sum(l_quantity), sum(l_extendedprice), \
                 sum(l_extendedprice * (1 - l_discount)), \
                 sum(l_extendedprice * (1 - l_discount) * (1 + l_tax)), avg(l_quantity), \
                 avg(l_extendedprice), avg(l_discount), count(*) FROM lineitem \
                 WHERE l_shipdate <= ? GROUP BY l_returnflag, l_linestatus \
                 ORDER BY l_returnflag, l_linestatus"
            }
            Query::TpchQ6 => {
                "SELECT sum(l_extendedprice * l_discount) FROM lineitem \
                 WHERE l_shipdate >= ? AND l_shipdate < ? AND l_discount BETWEEN ? AND ? \
                 AND l_quantity < ?"
            }
            Query::DeleteP2 => "DELETE FROM p2",
            Query::CopyP => "INSERT INTO p2 SELECT * FROM p",
            Query::SumP2 => "SELECT count(*), sum(score), sum(length(name)), sum(zip) FROM p2",
            Query::CreateIndexName => "CREATE INDEX p_name ON p(name)",
            Query::NameRange => {
                "SELECT count(*), min(id), max(id) FROM p WHERE name >= 'M' AND name < 'N'"
            }
            Query::DropIndexName => "DROP INDEX p_name",
            Query::PageIndexed => {
                "SELECT id, name, email FROM p ORDER BY email LIMIT 20 OFFSET 10000"
            }
            Query::PageUnindexed => {
                "SELECT id, name, email FROM p ORDER BY name LIMIT 20 OFFSET 10000"
            }
            Query::GroupByTwo => {
                "SELECT city, age, count(*), sum(score) FROM p GROUP BY city, age \
                 HAVING count(*) > ?"
            }
            Query::LikeInfix => "SELECT count(*) FROM p WHERE email LIKE '%son%'",
            Query::CountDistinct => "SELECT count(DISTINCT zip) FROM p WHERE age >= ?",
            Query::Correlated => {
                "SELECT u.id, u.name, (SELECT count(*) FROM o WHERE o.tid = u.id) FROM u \
                 WHERE u.id BETWEEN ? AND ?"
            }
            Query::CorrelatedEveryRow => {
                "SELECT u.id, (SELECT count(*) FROM o WHERE o.tid = u.id) FROM u"
            }
            Query::JoinTopK => {
                "SELECT o.id, u.name, c.region, u.score FROM o JOIN u ON u.id = o.tid \
                 JOIN c ON c.name = u.city WHERE o.qty >= ? ORDER BY u.score DESC, o.id \
                 LIMIT 10"
            }
        }
    }

    /// The text Stoolap runs: `text`, but for a DROP INDEX, which Stoolap takes with its
    /// table (`DROP INDEX name ON table`).
    pub fn stoolap_text(self) -> &'static str {
        match self {
            Query::DropIndexName => "DROP INDEX p_name ON p",
            _ => self.text(),
        }
    }
}

/// `text` with its `?` placeholders numbered `$1`, `$2`, ... (the bench's SQL has no `?`
/// inside string literals).
pub fn dollar_placeholders(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut next = 1;
    for ch in text.chars() {
        if ch == '?' {
            out.push_str(&format!("${next}"));
            next += 1;
        } else {
            out.push(ch);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered() {
        assert_eq!(
            dollar_placeholders("UPDATE t SET a = ? WHERE id = ?"),
            "UPDATE t SET a = $1 WHERE id = $2"
        );
        assert_eq!(Query::COUNT, Query::JoinTopK.index() + 1);
        assert_eq!(Query::DropIndexName.text(), "DROP INDEX p_name");
        assert_eq!(
            Query::DropIndexName.stoolap_text(),
            "DROP INDEX p_name ON p"
        );
    }
}
