#!/bin/sh
# Instructions per operation of every workload on every engine, from callgrind: each
# workload's measured part is one `timed_<id>_*` function (bench/src/workloads.rs,
# bench/src/queries.rs), and `--toggle-collect='*timed_<id>_*'` counts exactly it (the
# loading of tables and the checks of answers run outside it). Ir / operations is printed
# as a markdown table; `ember-bench --ops-of ID --scale S` gives the operations.
#
# usage: bench/callgrind.sh [SCALE] [IDS] [ENGINES]
#   SCALE    ember-bench --scale (default 0.1: 20,000 rows in t, u, p and r; P1 and P2 read
#            past OFFSET 10000, so smaller scales leave them little to page over)
#   IDS      comma-separated workload ids (default: every workload but W5, M1 and the
#            EmberDB-only W2C, W2L, W3H)
#   ENGINES  comma-separated engine prefixes (default ember,sqlite,stoolap; stoolap needs a
#            binary built with --features stoolap, else its column shows "-")
# The binary is $BIN, default $CARGO_TARGET_DIR/release/ember-bench (or target/...):
#   cargo build --release -p ember-bench --features stoolap && bench/callgrind.sh
set -eu

SCALE=${1:-0.1}
IDS=${2:-W1,W2,W2A,W3,W4,W6,W7,R1,R2,K1,K2,J1,J2,G2,J3,S1,Q1,Q6,D1,I1,I2,P1,P2,G3,L1,D2,C1,C2,J4}
ENGINES=${3:-ember,sqlite,stoolap}
BIN=${BIN:-${CARGO_TARGET_DIR:-target}/release/ember-bench}

if [ ! -x "$BIN" ]; then
    echo "callgrind.sh: no binary at $BIN (cargo build --release -p ember-bench)" >&2
    exit 2
fi
command -v valgrind >/dev/null || { echo "callgrind.sh: valgrind not found" >&2; exit 2; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

echo "Instructions per operation (callgrind Ir / operations), scale $SCALE, $(basename "$BIN")"
echo
printf '| workload | ops |'
for engine in $(echo "$ENGINES" | tr ',' ' '); do printf ' %s |' "$engine"; done
echo
printf '|---|--:|'
for engine in $(echo "$ENGINES" | tr ',' ' '); do printf -- '--:|'; done
echo

for id in $(echo "$IDS" | tr ',' ' '); do
    ops=$("$BIN" --scale "$SCALE" --ops-of "$id")
    lower=$(echo "$id" | tr 'A-Z' 'a-z')
    printf '| %s | %s |' "$id" "$ops"
    for engine in $(echo "$ENGINES" | tr ',' ' '); do
        out="$WORK/$id-$engine.out"
        rm -f "$out"
        valgrind --tool=callgrind --toggle-collect="*timed_${lower}_*" \
            --callgrind-out-file="$out" \
            "$BIN" --scale "$SCALE" --rounds 1 --no-settle --only "$id" \
            --engines "$engine" >"$WORK/table" 2>"$WORK/log" || true
        # The cell's result text: n/a or FAILED rows print as such.
        verdict=$(grep -E "^\| $id " "$WORK/table" | grep -E "\| $engine" | head -n 1 \
            | grep -oE 'n/a \(missing[^|]*|FAILED[^|]*' || true)
        ir=$(grep -E '^(summary|totals):' "$out" 2>/dev/null | head -n 1 | awk '{print $2}')
        if [ -n "$verdict" ]; then
            printf ' %s |' "$(echo "$verdict" | sed 's/ *$//' | cut -c1-40)"
        elif [ -z "${ir:-}" ] || [ "${ir:-0}" = 0 ]; then
            printf ' - |'
        else
            printf ' %s |' "$(awk -v ir="$ir" -v ops="$ops" 'BEGIN { printf "%.0f", ir / ops }')"
        fi
    done
    echo
done
