#!/bin/bash
# Monthly μNet capacity report. Counts come from the API, so it works on SQLite and
# PostgreSQL alike; the database size is shown for SQLite.
#   UNET_API (http://localhost:8080)   UNET_TOKEN (bearer token, if the API requires one)
#   UNET_DB (/var/lib/unet/unet.db)    UNET_DATA_DIR (/var/lib/unet)
set -euo pipefail

API=${UNET_API:-http://localhost:8080}
DB=${UNET_DB:-/var/lib/unet/unet.db}
DATA_DIR=${UNET_DATA_DIR:-/var/lib/unet}
auth=()
if [ -n "${UNET_TOKEN:-}" ]; then
    auth=(-H "Authorization: Bearer $UNET_TOKEN")
fi

metrics=$(curl -sf --max-time 10 "${auth[@]}" "$API/api/v1/metrics/snapshot")
echo "=== μNet Capacity Report $(date) ==="
if [ -f "$DB" ]; then
    echo "Database size: $(du -h "$DB" | cut -f1)"
fi
echo "Total nodes: $(jq '.business.nodes_total' <<<"$metrics")"
echo "Total users: $(jq '.business.users_total // 0' <<<"$metrics")"
echo "Avg response time: $(jq '.performance.http_request_duration_avg' <<<"$metrics") ms"
echo "Memory usage: $(jq '.system.memory_rss_bytes / 1024 | floor' <<<"$metrics") KB"
echo "Disk usage: $(df -h "$DATA_DIR" | tail -1 | awk '{print $5}')"
