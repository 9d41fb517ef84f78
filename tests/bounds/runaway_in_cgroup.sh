#!/bin/bash
# Runs tests/bounds/runaway_statements.sql in the ember shell, under the default memory
# budget, inside a cgroup (v1 memory controller) limited to LIMIT: each runaway statement
# must end with a MemoryBudget error, and the process must not be killed for memory.
# Needs root and a cgroup v1 memory controller at /sys/fs/cgroup/memory.
# Usage: bash tests/bounds/runaway_in_cgroup.sh [LIMIT (default 1G)] [SHELL BINARY]
set -euo pipefail
limit=${1:-1G}
shell=${2:-target/release/ember}
here=$(dirname "$0")
cgroup=/sys/fs/cgroup/memory/ember_runaway
mkdir -p "$cgroup"
echo "$limit" > "$cgroup/memory.limit_in_bytes"
echo 0 > "$cgroup/memory.max_usage_in_bytes"
status=0
sh -c "echo \$\$ > $cgroup/cgroup.procs; exec /usr/bin/time -f 'peak RSS %M KiB, %e s' \
    $shell < $here/runaway_statements.sql" || status=$?
echo "cgroup peak: $(cat "$cgroup/memory.max_usage_in_bytes") bytes; shell exit status $status"
