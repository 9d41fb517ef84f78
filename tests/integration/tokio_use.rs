//! Using the library from tokio, as docs/library's "From async code" says: the engine is
//! synchronous, so each task runs its statements in `spawn_blocking` on a connection of its
//! own (a `Database` is cheap to clone; a `Connection` is not shared between tasks).

use ember::Database;

#[test]
fn tasks_write_through_spawn_blocking_with_one_connection_each() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(4)
        .build()
        .unwrap();
    let db = Database::in_memory();
    db.connect()
        .execute_batch("CREATE TABLE hits(task INT, n INT)")
        .unwrap();
    let tasks = 8;
    let per_task = 50;
    runtime.block_on(async {
        let mut handles = Vec::new();
        for task in 0..tasks {
            let db = db.clone();
            handles.push(tokio::task::spawn_blocking(move || {
                let conn = db.connect();
                let mut insert = conn.prepare("INSERT INTO hits VALUES (?, ?)")?;
                for n in 0..per_task {
                    insert.execute((task, n))?;
                }
                Ok::<_, ember::Error>(())
            }));
        }
        for handle in handles {
            handle
                .await
                .expect("the task ran")
                .expect("its inserts succeeded");
        }
        // A read from async code the same way.
        let db = db.clone();
        let (rows, distinct_tasks): (i64, i64) = tokio::task::spawn_blocking(move || {
            db.connect().query_row(
                "SELECT count(*), count(DISTINCT task) FROM hits",
                (),
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
        })
        .await
        .unwrap()
        .unwrap();
        assert_eq!(rows, tasks * per_task);
        assert_eq!(distinct_tasks, tasks);
    });
}
