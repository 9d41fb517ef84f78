#!/usr/bin/env bash
# Runs EmberDB's cargo-fuzz targets for a bounded time each.
#   fuzz/run.sh <sql|row|all> <seconds>
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). The corpus lives in
# fuzz/corpus/<target> (not committed); it is seeded from fuzz/seeds/<target> and from the
# statements of tests/slt/*.slt. Crashes land in fuzz/artifacts/<target>: turn each into a
# regression test in the normal suite. CI never runs this script.
set -euo pipefail
cd "$(dirname "$0")"
target="${1:?usage: fuzz/run.sh <sql|row|all> <seconds>}"
seconds="${2:?usage: fuzz/run.sh <sql|row|all> <seconds>}"
targets=(sql row)
[[ "$target" == all ]] || targets=("$target")

seed_sql() {
    mkdir -p corpus/sql
    cp seeds/sql/* corpus/sql/
    # Each SQL statement of the sqllogictest files becomes one seed.
    shopt -s nullglob
    local n=0
    for slt in ../tests/slt/*.slt ../tests/slt/**/*.slt; do
        awk 'BEGIN{RS=""} /^(statement|query)/ { sub(/^[^\n]*\n/, ""); sub(/\n----.*/, "");
             print > sprintf("corpus/sql/slt-%s-%05d.sql", FILENAME_ID, NR) }' \
            FILENAME_ID="$(basename "$slt" .slt)" "$slt"
        n=$((n + 1))
    done
    echo "seeded sql corpus from $n .slt files"
}

seed_row() {
    mkdir -p corpus/row
    # A few valid encodings: selector byte, null bitmap, values.
    printf '\x02\x00\x02\x05hello' > corpus/row/text
    printf '\x00' > corpus/row/empty
    printf '\x13\x00\x01\x02\x01\x02\x03' > corpus/row/mixed
}

for t in "${targets[@]}"; do
    "seed_$t"
    mkdir -p "artifacts/$t"
    echo "== fuzzing $t for ${seconds}s"
    cargo +nightly fuzz run "$t" "corpus/$t" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=512 -max_len=4096 \
        -timeout=10 -print_final_stats=1 2>&1 | tee "artifacts/$t/last-run.log" |
        grep -E '^(#[0-9]+.*(DONE|pulse)|stat::number_of_executed_units|==[0-9]+==|SUMMARY)' || true
    grep -E 'stat::number_of_executed_units' "artifacts/$t/last-run.log" || {
        echo "fuzz run of $t did not finish cleanly; see fuzz/artifacts/$t/last-run.log"
        exit 1
    }
done
