#!/bin/sh
# Loading speed of the shells, ember against sqlite3 in the same run: `.import` of a CSV
# file into a typed table (`--csv --skip 1` past its header), and a sqlite3 `.dump` of the
# same rows (one INSERT per row inside BEGIN .. COMMIT) read as a script. sqlite3 loads into
# :memory: and into a file database, ember into memory and into a directory database. The
# dump is made by sqlite3's own `.dump`. Prints CPU seconds (user + system) and wall seconds
# of each run, and ember's CPU time as a ratio of sqlite3's.
#
# usage: bench/load.sh [ROWS]      (default 1000000)
# The binaries are $EMBER (default $CARGO_TARGET_DIR/release/ember, or target/...) and
# $SQLITE3 (default /usr/bin/sqlite3):
#   cargo build --release -p ember-repl && bench/load.sh 200000
set -eu

ROWS=${1:-1000000}
EMBER=${EMBER:-${CARGO_TARGET_DIR:-target}/release/ember}
SQLITE3=${SQLITE3:-/usr/bin/sqlite3}

[ -x "$EMBER" ] || { echo "load.sh: no binary at $EMBER (cargo build --release -p ember-repl)" >&2; exit 2; }
[ -x "$SQLITE3" ] || { echo "load.sh: no sqlite3 at $SQLITE3" >&2; exit 2; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
SCHEMA="CREATE TABLE people(id INTEGER PRIMARY KEY, name TEXT, email TEXT, age INTEGER, score REAL);"

# Rows shaped like an application's: a key, two texts (one quoted, with a comma), an
# integer and a real.
awk -v rows="$ROWS" 'BEGIN {
    print "id,name,email,age,score"
    for (i = 1; i <= rows; i++)
        printf "%d,\"Person %d, Jr\",user%d@example.com,%d,%.2f\n", i, i, i, 18 + i % 60, (i * 7919 % 10000) / 100
}' > "$WORK/people.csv"
"$SQLITE3" "$WORK/source.db" "$SCHEMA" ".import --csv --skip 1 $WORK/people.csv people"
"$SQLITE3" "$WORK/source.db" .dump > "$WORK/dump.sql"
rm -f "$WORK/source.db"

# Runs "$@" with stdin from $INPUT; prints "cpu wall" seconds.
measure() {
    /usr/bin/time -f "%U %S %e" -o "$WORK/time" "$@" < "$INPUT" > /dev/null
    awk '{ printf "%.2f %.2f", $1 + $2, $3 }' "$WORK/time"
}

# Checks the row count a load left, through $1 (a command reading SQL on stdin).
check() {
    count=$(echo "SELECT count(*) FROM people;" | "$@")
    [ "$count" = "$ROWS" ] || { echo "load.sh: $* holds $count rows, not $ROWS" >&2; exit 1; }
}

printf "%s\n" "$SCHEMA" ".import --csv --skip 1 $WORK/people.csv people" > "$WORK/import.sql"

echo "rows: $ROWS (CSV $(du -h "$WORK/people.csv" | cut -f1), dump $(du -h "$WORK/dump.sql" | cut -f1))"
printf "%-8s %-22s %8s %8s\n" load engine cpu_s wall_s
for load in import dump; do
    case $load in
        import) INPUT=$WORK/import.sql ;;
        dump) INPUT=$WORK/dump.sql ;;
    esac
    rm -rf "$WORK/file.db" "$WORK/ember_dir"
    sqlite_memory=$(measure "$SQLITE3" :memory:)
    sqlite_file=$(measure "$SQLITE3" "$WORK/file.db")
    check "$SQLITE3" "$WORK/file.db"
    ember_memory=$(measure "$EMBER")
    ember_dir=$(measure "$EMBER" "$WORK/ember_dir")
    check "$EMBER" "$WORK/ember_dir"
    for row in "sqlite3 :memory:|$sqlite_memory" "sqlite3 file|$sqlite_file" \
        "ember in memory|$ember_memory" "ember directory|$ember_dir"; do
        name=${row%%|*}
        set -- ${row#*|}
        printf "%-8s %-22s %8s %8s\n" "$load" "$name" "$1" "$2"
    done
    set -- $sqlite_memory; sm=$1
    set -- $sqlite_file; sf=$1
    set -- $ember_memory; em=$1
    set -- $ember_dir; ed=$1
    awk -v em="$em" -v ed="$ed" -v sm="$sm" -v sf="$sf" -v load="$load" 'BEGIN {
        printf "%-8s ember/sqlite3 cpu: memory %.2f, on disk %.2f\n", load,
            em / (sm > 0 ? sm : 0.01), ed / (sf > 0 ? sf : 0.01)
    }'
done
