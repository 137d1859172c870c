#!/bin/bash
# μNet health check for cron (every 5 minutes): posts to a Slack-style webhook when the
# server is not `healthy` (degraded, unhealthy, or not answering) and exits 1.
#   UNET_HEALTH_ENDPOINT (http://localhost:8080/api/v1/health)   UNET_ALERT_WEBHOOK (required)
set -uo pipefail

HEALTH_ENDPOINT=${UNET_HEALTH_ENDPOINT:-http://localhost:8080/api/v1/health}
ALERT_WEBHOOK=${UNET_ALERT_WEBHOOK:?set UNET_ALERT_WEBHOOK to the webhook URL}

HEALTH_STATUS=$(curl -s --max-time 10 "$HEALTH_ENDPOINT" | jq -r '.status // empty' 2>/dev/null)
HEALTH_STATUS=${HEALTH_STATUS:-unreachable}

if [ "$HEALTH_STATUS" != "healthy" ]; then
    MESSAGE="μNet Health Check Failed: $HEALTH_STATUS ($HEALTH_ENDPOINT on $(hostname))"
    curl -s --max-time 10 -X POST "$ALERT_WEBHOOK" \
        -H 'Content-type: application/json' \
        --data "$(jq -nc --arg text "$MESSAGE" '{text: $text}')" >/dev/null
    exit 1
fi
