"""DuckDB's approx_count_distinct against count(DISTINCT x), beside SQLite's count(DISTINCT x),
on the column `c` of ember-shapes' table `t` (bench/src/shapes.rs: the same fixed LCG
stream, so the same values as `cargo run --release -p ember-bench --example approx_distinct`).

The values are written once to a CSV file, loaded into DuckDB (read_csv) and into SQLite
(Python's sqlite3 module, in memory), and each query runs `RUNS` times; the median time is
printed with the ratios. DuckDB runs on one thread (`SET threads = 1`), as EmberDB's
example does.

usage: python3 bench/duckdb_distinct.py [ROWS] [CSV_PATH]   (pip install duckdb)
"""

import os
import sqlite3
import sys
import time

import duckdb

RUNS = 3
MASK = (1 << 64) - 1


def column_c(rows):
    """The REAL column `c` of shapes::load's rows 1..=rows (every draw of its stream kept)."""
    state = 0x2545F4914F6CDD1D
    values = []
    for row in range(1, rows + 1):
        draws = []
        for _ in range(7 if row % 4 == 0 else 5):
            state = (state * 6364136223846793005 + 1442695040888963407) & MASK
            draws.append(state >> 33)
        values.append((draws[2] % 1_000_000) / 1_000_000.0)
    return values


def median_ms(run):
    times = []
    answer = None
    for _ in range(RUNS):
        started = time.perf_counter()
        answer = run()
        times.append((time.perf_counter() - started) * 1000.0)
    times.sort()
    return times[len(times) // 2], answer


def main():
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
    path = sys.argv[2] if len(sys.argv) > 2 else f"/tmp/duckdb-distinct-{rows}.csv"
    if not os.path.exists(path):
        with open(path, "w") as out:
            out.write("c\n")
            for value in column_c(rows):
                out.write(f"{value!r}\n")
    duck = duckdb.connect()
    duck.execute("SET threads = 1")
    duck.execute(f"CREATE TABLE t AS SELECT c::DOUBLE AS c FROM read_csv('{path}', header = true)")
    lite = sqlite3.connect(":memory:")
    lite.execute("CREATE TABLE t(c REAL)")
    with open(path) as data:
        next(data)
        lite.executemany("INSERT INTO t VALUES (?)", ((float(line),) for line in data))
    lite.commit()

    def duck_query(sql):
        return lambda: duck.execute(sql).fetchone()[0]

    exact, exact_answer = median_ms(duck_query("SELECT count(DISTINCT c) FROM t"))
    approx, approx_answer = median_ms(duck_query("SELECT approx_count_distinct(c) FROM t"))
    lite_exact, lite_answer = median_ms(
        lambda: lite.execute("SELECT count(DISTINCT c) FROM t").fetchone()[0]
    )
    print(f"rows: {rows}, duckdb {duckdb.__version__} (1 thread), sqlite {sqlite3.sqlite_version}")
    print(f"duckdb count(DISTINCT c): {exact:.1f} ms ({exact_answer})")
    print(f"duckdb approx_count_distinct(c): {approx:.1f} ms ({approx_answer})")
    print(f"sqlite count(DISTINCT c): {lite_exact:.1f} ms ({lite_answer})")
    print(f"duckdb exact / approx: {exact / approx:.2f}x")
    print(f"sqlite exact / duckdb approx: {lite_exact / approx:.2f}x")


if __name__ == "__main__":
    main()
