//! Times aggregate and top-k shapes over 200,000 rows with `PRAGMA threads` 0 and 1 (best
//! and mean of 15 runs, in microseconds), to see when a parallel split pays: low and high
//! cardinality GROUP BY, a filtered sum, a top-k. `cargo run --release -p ember-bench
//! --example parallel_shapes`; with `SHAPE THREADS` arguments it runs that one shape three
//! times in `profiled` (for `valgrind --tool=callgrind --toggle-collect='*profiled*'`).

use std::time::Instant;

use ember::{Connection, Database};

const SHAPES: [&str; 5] = [
    "SELECT age, COUNT(*), AVG(score) FROM t GROUP BY age",
    "SELECT k, COUNT(*), MAX(score) FROM t GROUP BY k",
    "SELECT id % 100000, COUNT(*) FROM t GROUP BY id % 100000",
    "SELECT sum(score) FROM t WHERE age BETWEEN 20 AND 30",
    "SELECT * FROM t ORDER BY score DESC LIMIT 10",
];

fn main() -> Result<(), ember::Error> {
    let db = Database::in_memory();
    let conn = db.connect();
    conn.execute(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, email TEXT, age INTEGER, \
         score REAL, k INTEGER)",
        (),
    )?;
    conn.execute("BEGIN", ())?;
    for i in 0..200_000i64 {
        let score = (i % 1000) as f64 * 0.5;
        let (name, email) = (format!("name{i}"), format!("user{i}@example.com"));
        let values = (i, name, email, 18 + i % 60, score, (i * 7919) % 10_000);
        conn.execute("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)", values)?;
    }
    conn.execute("COMMIT", ())?;
    let mut args = std::env::args().skip(1);
    if let (Some(shape), Some(threads)) = (args.next(), args.next()) {
        conn.execute(&format!("PRAGMA threads = {threads}"), ())?;
        let shape = SHAPES[shape.parse::<usize>().unwrap_or(0) % SHAPES.len()];
        for _ in 0..3 {
            profiled(&conn, shape)?;
        }
        return Ok(());
    }
    for round in 0..3 {
        for shape in SHAPES {
            let mut line = format!("round {round} {shape:60}");
            for threads in [0, 1] {
                conn.execute(&format!("PRAGMA threads = {threads}"), ())?;
                let (mut best, mut total) = (u128::MAX, 0u128);
                for _ in 0..15 {
                    let started = Instant::now();
                    profiled(&conn, shape)?;
                    let micros = started.elapsed().as_micros();
                    best = best.min(micros);
                    total += micros;
                }
                line += &format!("  threads {threads}: best {best} mean {}", total / 15);
            }
            println!("{line}");
        }
    }
    Ok(())
}

#[inline(never)]
fn profiled(conn: &Connection, shape: &str) -> Result<(), ember::Error> {
    let rows = conn.query(shape, ())?;
    std::hint::black_box(rows.len());
    Ok(())
}
