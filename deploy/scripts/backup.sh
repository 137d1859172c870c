#!/bin/bash
# Daily μNet backup: the database (online and consistent, SQLite or PostgreSQL), the
# configuration, the git checkouts and a day of logs, then an integrity check and retention.
# Run as the unet user from cron or a systemd timer. Every path can be overridden:
#   UNET_BACKUP_ROOT (/backups/unet)     UNET_CONFIG_DIR (/etc/unet)
#   UNET_CONFIG ($UNET_CONFIG_DIR/config.toml)   UNET_SERVER_BIN (/opt/unet/bin/unet-server)
#   UNET_GIT_DIR (/var/lib/unet/git)     UNET_BACKUP_KEEP_DAYS (30)
set -euo pipefail

BACKUP_ROOT=${UNET_BACKUP_ROOT:-/backups/unet}
CONFIG_DIR=${UNET_CONFIG_DIR:-/etc/unet}
CONFIG=${UNET_CONFIG:-$CONFIG_DIR/config.toml}
SERVER=${UNET_SERVER_BIN:-/opt/unet/bin/unet-server}
GIT_DIR=${UNET_GIT_DIR:-/var/lib/unet/git}
KEEP_DAYS=${UNET_BACKUP_KEEP_DAYS:-30}

BACKUP_DIR="$BACKUP_ROOT/$(date +%Y%m%d)"
mkdir -p "$BACKUP_DIR"

# 1. Database: `unet-server backup` copies the live database in one transaction.
partial="$BACKUP_DIR/database.partial"
rm -f "$partial"
"$SERVER" backup --config "$CONFIG" --to "$partial"
if [ "$(head -c 15 "$partial")" = "SQLite format 3" ]; then
    database="$BACKUP_DIR/unet.db"
else
    database="$BACKUP_DIR/unet.dump"
fi
mv -f "$partial" "$database"

# 2. Configuration.
mkdir -p "$BACKUP_DIR/config"
cp -r "$CONFIG_DIR/." "$BACKUP_DIR/config/"

# 3. Git checkouts (if local).
if [ -d "$GIT_DIR" ]; then
    tar -czf "$BACKUP_DIR/repositories.tar.gz" -C "$(dirname "$GIT_DIR")" "$(basename "$GIT_DIR")"
fi

# 4. Logs of the last day, where journald keeps them.
if command -v journalctl >/dev/null 2>&1; then
    journalctl -u unet-server --since "24 hours ago" >"$BACKUP_DIR/logs.txt" 2>/dev/null || true
fi

# 5. Integrity of the copy: a backup that fails its check is not a backup.
if [ "$database" = "$BACKUP_DIR/unet.db" ]; then
    sqlite3 "$database" "PRAGMA integrity_check;" >"$BACKUP_DIR/integrity.log"
    integrity=$(cat "$BACKUP_DIR/integrity.log")
else
    pg_restore --list "$database" >"$BACKUP_DIR/integrity.log"
    integrity=ok
fi
if [ "$integrity" != "ok" ]; then
    echo "ERROR backup integrity check failed for $database: $integrity" >&2
    exit 1
fi
sha256sum "$database" >"$database.sha256"
ln -sfn "$BACKUP_DIR" "$BACKUP_ROOT/latest"

# 6. Retention: dated folders older than KEEP_DAYS days (never the root or today's).
find "$BACKUP_ROOT" -mindepth 1 -maxdepth 1 -type d -name '20[0-9][0-9][0-1][0-9][0-3][0-9]' \
    -mtime +"$KEEP_DAYS" -exec rm -rf {} +

echo "Backup completed: $BACKUP_DIR"
