#!/usr/bin/env bash
# Import benchmark: `unet import` of a generated 100,000-node, 100,000-link inventory into a
# fresh SQLite file, release build, timed end to end (process start to exit).
#
#   scripts/bench/inventory/import.sh [NODES] [LINKS]
#
# UNET=path/to/unet skips the build and times that binary instead.
#
# Prints the wall time of each run and the best of them; uses hyperfine when installed (it
# also reports user and system CPU time). The machine may be shared: the load average before
# and after the runs is printed with the figures.
set -euo pipefail

NODES=${1:-100000}
LINKS=${2:-100000}
RUNS=${RUNS:-3}
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

if [ -z "${UNET:-}" ]; then
    cargo build --release -q -p unet-cli --manifest-path "$ROOT/Cargo.toml"
    UNET="$TARGET/release/unet"
fi

python3 "$ROOT/scripts/bench/inventory/generate.py" "$WORK/inventory" "$NODES" "$LINKS"
echo "input: $NODES nodes, $LINKS links, 500 locations ($(du -sh "$WORK/inventory" | cut -f1))"

run_once() {
    rm -f "$WORK/bench.db" "$WORK/bench.db-wal" "$WORK/bench.db-shm"
    "$UNET" --database-url "sqlite://$WORK/bench.db" -o json import "$WORK/inventory" >"$WORK/report.json"
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
if command -v hyperfine >/dev/null; then
    hyperfine --runs "$RUNS" --prepare "rm -f $WORK/bench.db $WORK/bench.db-wal $WORK/bench.db-shm" \
        "$UNET --database-url sqlite://$WORK/bench.db -o json import $WORK/inventory"
else
    best=""
    for i in $(seq "$RUNS"); do
        start=$(date +%s.%N)
        run_once
        end=$(date +%s.%N)
        t=$(echo "$end - $start" | bc)
        echo "run $i: ${t}s"
        if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
    done
    echo "best of $RUNS: ${best}s"
fi

echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# The last run's database must hold everything and pass SQLite's own check.
run_once
grep -q '"committed": true' "$WORK/report.json"
echo "nodes in database: $(sqlite3 "$WORK/bench.db" 'SELECT COUNT(*) FROM nodes;')"
echo "links in database: $(sqlite3 "$WORK/bench.db" 'SELECT COUNT(*) FROM links;')"
echo "integrity_check: $(sqlite3 "$WORK/bench.db" 'PRAGMA integrity_check;')"
