# shellcheck shell=bash
# A private, throw-away PostgreSQL cluster for tests and benchmarks.
# Usage: source scripts/lib/postgres.sh; pg_start PORT; ...; pg_stop
# Exports UNET_TEST_POSTGRES_URL. Runs the server as the `postgres` system user because
# PostgreSQL refuses to run as root.

PG_BIN=${PG_BIN:-$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)}
PG_DIR=""

# True when something already listens on 127.0.0.1:PORT.
port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pg_start() {
    local port=${1:-55432}
    # Another cluster (a parallel run, a leftover) may hold the port: take the next free one.
    local tries=0
    while port_in_use "$port" && [ "$tries" -lt 50 ]; do
        port=$((port + 1))
        tries=$((tries + 1))
    done
    if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
        echo "PostgreSQL server binaries not found (install the 'postgresql' package)" >&2
        return 1
    fi
    PG_DIR=$(mktemp -d /tmp/unet-pg.XXXXXX)
    chmod 755 "$PG_DIR"
    local as=()
    if [ "$(id -u)" = 0 ]; then
        chown postgres: "$PG_DIR"
        as=(runuser -u postgres --)
    fi
    "${as[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust >"$PG_DIR/initdb.log" 2>&1 || {
        cat "$PG_DIR/initdb.log" >&2
        return 1
    }
    # The port may also be taken between the check above and the start (it lies in the
    # ephemeral range, so a client connection can hold it): then try the next one.
    until "${as[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w \
        -o "-p $port -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" start >/dev/null; do
        if ! grep -q "Address already in use" "$PG_DIR/log" || [ "$tries" -ge 50 ]; then
            cat "$PG_DIR/log" >&2
            return 1
        fi
        port=$((port + 1))
        tries=$((tries + 1))
        : >"$PG_DIR/log"
    done
    PG_AS=("${as[@]}")
    export UNET_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
}

pg_stop() {
    if [ -n "$PG_DIR" ] && [ -d "$PG_DIR/data" ]; then
        "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast stop >/dev/null 2>&1 || true
        rm -rf "$PG_DIR"
    fi
    PG_DIR=""
}
