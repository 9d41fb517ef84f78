#!/usr/bin/env bash
# Runs EmberDB's cargo-fuzz targets for a bounded time each, one after the other.
#   fuzz/run.sh <sql|row|wal|snapshot|all> <seconds per target>
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). The working corpus
# lives in fuzz/corpus/<target> (not committed); it is seeded from fuzz/seeds/<target>, from
# every statement of tests/slt/*.slt (sql) and from a real database's WAL and snapshot
# files (`gen_seeds`, wal and snapshot). Crashes land in fuzz/artifacts/<target>: turn each
# into a regression test in the normal suite and fix it. CI never runs this script.
# Set FUZZ_NICE=0 to run at normal priority (default: nice 10).
set -euo pipefail
cd "$(dirname "$0")"
usage="usage: fuzz/run.sh <sql|row|wal|snapshot|all> <seconds>"
target="${1:?$usage}"
seconds="${2:?$usage}"
targets=(sql row wal snapshot)
[[ "$target" == all ]] || targets=("$target")
nice_cmd=(nice -n "${FUZZ_NICE:-10}")

seed_sql() {
    mkdir -p corpus/sql
    cp seeds/sql/* corpus/sql/
    # Each statement or query record of the sqllogictest files becomes one seed.
    local n=0
    for slt in ../tests/slt/*.slt; do
        awk -v id="$(basename "$slt" .slt)" 'BEGIN { RS = "" }
            /^(statement|query)/ { sub(/^[^\n]*\n/, ""); sub(/\n----.*/, "");
                                   print > sprintf("corpus/sql/slt-%s-%05d.sql", id, NR) }' \
            "$slt"
        n=$((n + 1))
    done
    echo "seeded the sql corpus from $n .slt files"
}

seed_row() {
    mkdir -p corpus/row
    cp seeds/row/* corpus/row/
}

seed_disk() {
    local kind="$1"
    mkdir -p "corpus/$kind"
    if [[ ! -d "seeds/$kind" ]]; then
        "${nice_cmd[@]}" cargo +nightly run --quiet --bin gen_seeds -- seeds
    fi
    cp "seeds/$kind"/* "corpus/$kind/"
}

seed_wal() { seed_disk wal; }
seed_snapshot() { seed_disk snapshot; }

for t in "${targets[@]}"; do
    "seed_$t"
    mkdir -p "artifacts/$t"
    echo "== fuzzing $t for ${seconds}s"
    max_len=4096
    [[ "$t" == sql ]] && max_len=1024
    "${nice_cmd[@]}" cargo +nightly fuzz run "$t" "corpus/$t" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=1024 \
        -max_len="$max_len" -timeout=20 -print_final_stats=1 2>&1 |
        tee "artifacts/$t/last-run.log" |
        grep -E '^(#[0-9]+.*(DONE|pulse)|stat::number_of_executed_units|stat::average_exec|==[0-9]+==|SUMMARY|Done)' ||
        true
    grep -E 'stat::number_of_executed_units' "artifacts/$t/last-run.log" || {
        echo "fuzz run of $t did not finish cleanly; see fuzz/artifacts/$t/last-run.log"
        exit 1
    }
    # A sanitizer report after the last input (a leak found at exit) is a failure too.
    if grep -qE '^==[0-9]+==ERROR' "artifacts/$t/last-run.log"; then
        echo "fuzz run of $t reported a sanitizer error; see fuzz/artifacts/$t/last-run.log"
        exit 1
    fi
done
