#!/usr/bin/env bash
# HTTP API benchmark: release build, SQLite with 100,000 nodes, wrk against a live server.
#
#   scripts/bench/api/run.sh [--nodes N] [--duration 10s] [--connections 32]
#   UNET_SERVER=path/unet-server UNET_SEED=path/seed_inventory scripts/bench/api/run.sh
#
# Measures GET one node by id and GET a filtered page of 100, each request authenticated with
# an API key, prints requests/s and latency percentiles (p50/p99), and checks them against the
# targets (≥ 10,000 req/s for one node; p99 < 10 ms for a page of 100). Needs wrk and jq.
set -euo pipefail

root=$(cd "$(dirname "$0")/../../.." && pwd)
nodes=100000
duration=10s
connections=32
while [ $# -gt 0 ]; do
    case "$1" in
        --nodes) nodes=$2; shift ;;
        --duration) duration=$2; shift ;;
        --connections) connections=$2; shift ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
    shift
done

# wrk drives the load; jq reads the sign-in and API key answers.
for tool in wrk jq; do
    if ! command -v "$tool" > /dev/null; then
        if [ "$(id -u)" = 0 ]; then
            apt-get install -y -qq "$tool" > /dev/null
        else
            echo "$tool is not installed: apt-get install $tool" >&2
            exit 1
        fi
    fi
done

# UNET_SERVER and UNET_SEED (both) skip the build and measure those binaries instead, to
# compare two builds in one run.
if [ -n "${UNET_SERVER:-}" ] && [ -n "${UNET_SEED:-}" ]; then
    bin=$UNET_SERVER
    seed=$UNET_SEED
else
    (cd "$root" && cargo build --quiet --release -p unet-server --bin unet-server --example seed_inventory)
    target_dir=${CARGO_TARGET_DIR:-$root/target}
    bin="$target_dir/release/unet-server"
    seed="$target_dir/release/examples/seed_inventory"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/unet-bench-api.XXXXXX")
server_pid=""
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid"
        wait "$server_pid" || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

echo "seeding $nodes nodes..."
"$seed" "sqlite://$work/unet.db" "$nodes"

cat > "$work/unet.toml" <<TOML
[server]
listen = "127.0.0.1:0"
[database]
url = "sqlite://$work/unet.db"
[logging]
level = "info"
[data]
dir = "$work/data"
TOML
# The request log is part of the measured work; it goes to a file as journald would take it.
"$bin" --config "$work/unet.toml" 2> "$work/server.log" &
server_pid=$!
addr=""
for _ in $(seq 1 100); do
    addr=$(sed -n 's/.*listening on http:\/\/\([0-9.:]*\).*/\1/p' "$work/server.log" | head -1)
    [ -n "$addr" ] && break
    sleep 0.1
done
[ -n "$addr" ] || { echo "server did not start" >&2; cat "$work/server.log" >&2; exit 1; }
base="http://$addr"
# Authentication is on (the default): every measured request carries an API key, as a script
# would, so its lookup is part of the measured work.
password=$(cat "$work/data/initial-admin-password")
token=$(jq -n --arg p "$password" '{username: "admin", password: $p}' |
    curl -fsS -H 'content-type: application/json' -d @- "$base/api/v1/auth/login" | jq -r .token)
key=$(curl -fsS -H "Authorization: Bearer $token" -H 'content-type: application/json' \
    -d '{"name": "bench", "roles": ["viewer"], "expires_in_days": 1}' \
    "$base/api/v1/auth/api-keys" | jq -r .secret)
auth="Authorization: Bearer $key"
id=$(curl -fsS -H "$auth" "$base/api/v1/nodes?limit=1&q=sw-050000" | sed 's/^\[{"id":"\([^"]*\)".*/\1/')

# utime + stime of the server process, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$server_pid/stat"; }

# wrk prints "Requests/sec: N" and, with --latency, "99% 1.23ms".
measure() {
    local name=$1 url=$2 conns=$3 threads out
    threads=$(( conns < 2 ? 1 : 2 ))
    curl -fsS -H "$auth" -o /dev/null "$url"
    # The server's own CPU time per request does not depend on how busy the machine is.
    local ticks_before ticks_after
    ticks_before=$(cpu_ticks)
    out=$(wrk -t"$threads" -c"$conns" -d"$duration" --latency -H "$auth" "$url")
    ticks_after=$(cpu_ticks)
    local rps p50 p99 requests cpu_us
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
    p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
    requests=$(echo "$out" | awk '/requests in/ {print $1}')
    errors=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
    cpu_us=$(awk -v t=$((ticks_after - ticks_before)) -v hz="$(getconf CLK_TCK)" -v n="$requests" \
        'BEGIN { printf "%.0f", t / hz * 1e6 / n }')
    printf '%-28s %9s req/s  p50 %-7s p99 %-8s server CPU %5s µs/request%s\n' \
        "$name" "$rps" "$p50" "$p99" "$cpu_us" "${errors:+   non-2xx: $errors}"
    echo "$rps $p99" > "$work/$name.result"
}

echo "unet-server $("$bin" --version | cut -d' ' -f2-), $nodes nodes, SQLite, wrk -d$duration"
echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
page="$base/api/v1/nodes?status=active&role=access&limit=100"
# Throughput under $connections connections; latency of the page with one client, so that
# p99 is the time a request takes rather than the time it waits in a saturated queue.
measure one-node "$base/api/v1/nodes/$id" "$connections"
measure filtered-page-100 "$page" "$connections"
measure filtered-page-100-1-client "$page" 1

# Targets: ≥ 10,000 req/s for one node; p99 < 10 ms for a filtered page of 100.
to_ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) print v/1000; else if (v ~ /ms$/) print v+0; else print v*1000 }'; }
read -r one_rps _ < "$work/one-node.result"
read -r _ page_p99 < "$work/filtered-page-100-1-client.result"
page_p99_ms=$(to_ms "$page_p99")
ok=1
awk -v r="$one_rps" 'BEGIN { exit !(r >= 10000) }' || { echo "below target: one node $one_rps req/s < 10000"; ok=0; }
awk -v p="$page_p99_ms" 'BEGIN { exit !(p < 10) }' || { echo "above target: page p99 ${page_p99_ms} ms >= 10"; ok=0; }
[ "$ok" = 1 ] && echo "targets met"
[ "$ok" = 1 ]
