//! The SQL text every engine runs (Stoolap takes `$N` placeholders, so it has its own
//! copies of the parameterized statements).

pub const CREATE: &str =
    "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, email TEXT, age INTEGER, score REAL)";
pub const INSERT: &str = "INSERT INTO t(id, name, email, age, score) VALUES (?, ?, ?, ?, ?)";
pub const SELECT: &str = "SELECT age FROM t WHERE id = ?";
pub const UPDATE: &str = "UPDATE t SET score = ? WHERE id = ?";
pub const GROUP_BY: &str = "SELECT age, COUNT(*), AVG(score) FROM t GROUP BY age";

pub const INSERT_DOLLAR: &str =
    "INSERT INTO t(id, name, email, age, score) VALUES ($1, $2, $3, $4, $5)";
pub const SELECT_DOLLAR: &str = "SELECT age FROM t WHERE id = $1";
pub const UPDATE_DOLLAR: &str = "UPDATE t SET score = $1 WHERE id = $2";
