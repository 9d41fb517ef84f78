//! Where M1's bytes per row go: loads `rows` benchmark rows (W1's rows and transactions)
//! into an in-memory database, then prints the anonymous memory the load added and the
//! storage's own accounting (`ember_stats`) per row: payload bytes (encoded rows), slab slots
//! in use (payload + size-class slack), whole slab pages, version headers, primary-index
//! entries, and the rest (slot arrays, arena regions' untouched tails, allocator).
//!
//! `cargo run --release -p ember-bench --example row_bytes -- [rows]`

use ember::Database;
use ember_bench::data::Person;
use ember_bench::memory::anonymous_bytes;
use ember_bench::sql;

fn main() -> Result<(), ember::Error> {
    let rows: i64 = std::env::args()
        .nth(1)
        .and_then(|text| text.parse().ok())
        .unwrap_or(200_000);
    let before = anonymous_bytes().unwrap_or(0);
    let db = Database::in_memory();
    let conn = db.connect();
    conn.execute(sql::CREATE, ())?;
    for chunk in (1..=rows).collect::<Vec<_>>().chunks(1000) {
        conn.execute("BEGIN", ())?;
        for &id in chunk {
            let p = Person::new(id);
            let params = (p.id, p.name.as_str(), p.email.as_str(), p.age, p.score);
            conn.execute(sql::INSERT, params)?;
        }
        conn.execute("COMMIT", ())?;
    }
    let loaded = anonymous_bytes().unwrap_or(0);
    let stats = conn.query(
        "SELECT payload_bytes, slab_bytes_used, slab_page_bytes, version_header_bytes, \
         index_bytes, large_payload_bytes FROM ember_stats",
        (),
    )?;
    let row = stats
        .values()
        .first()
        .expect("ember_stats has one row")
        .clone();
    let value = |index: usize| -> f64 {
        match row.get(index) {
            Some(ember::Value::Integer(i)) => *i as f64,
            _ => 0.0,
        }
    };
    let per_row = |bytes: f64| bytes / rows as f64;
    let anon = per_row(loaded.saturating_sub(before) as f64);
    let accounted = value(2) + value(3) + value(4) + value(5);
    println!("rows                       {rows}");
    println!("anon B/row                 {anon:.1}");
    println!("payload (encoded) B/row    {:.1}", per_row(value(0)));
    println!("slab slots used B/row      {:.1}", per_row(value(1)));
    println!("slab pages B/row           {:.1}", per_row(value(2)));
    println!("version headers B/row      {:.1}", per_row(value(3)));
    println!("index entries B/row        {:.1}", per_row(value(4)));
    println!("large payloads B/row       {:.1}", per_row(value(5)));
    println!(
        "rest (slots, arena) B/row  {:.1}",
        anon - per_row(accounted)
    );
    Ok(())
}
