#!/usr/bin/env bash
# reliability.sh — the reliability suite (internal/integration/reliability),
# as `make reliability` (the issue's sizes) and `make reliability-short` run it.
#
# Starts a MariaDB of its own on 127.0.0.1 (port $CREDSHARE_RELIABILITY_PORT,
# default 3351; data in a temporary folder) that TestDatabaseRestart may stop
# and start, runs the suite against it with -race, writes the figures as JSON
# lines to $CREDSHARE_RELIABILITY_REPORT (default reliability-report.jsonl at
# the repository root), and stops the server by its PID file.
# CREDSHARE_RELIABILITY_LONG=1 selects the issue's sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
tmp=$(mktemp -d "${TMPDIR:-/tmp}/credshare-reliability.XXXXXX")
export CREDSHARE_MARIADB_DIR="$tmp/mariadb" CREDSHARE_MARIADB_PORT=${CREDSHARE_RELIABILITY_PORT:-3351}

stop() {
	pidfile="$CREDSHARE_MARIADB_DIR/mariadbd.pid"
	if [ -f "$pidfile" ]; then
		pid=$(cat "$pidfile")
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	fi
	rm -rf "$tmp"
}
trap stop EXIT

CREDSHARE_MYSQL_DSN=$(scripts/mariadb-up.sh)
export CREDSHARE_MYSQL_DSN CREDSHARE_REQUIRE_MYSQL=1
export CREDSHARE_RELIABILITY_MARIADB_DIR="$CREDSHARE_MARIADB_DIR"
export CREDSHARE_RELIABILITY_REPORT=${CREDSHARE_RELIABILITY_REPORT:-$root/reliability-report.jsonl}
export CREDSHARE_RELIABILITY_LONG=${CREDSHARE_RELIABILITY_LONG:-0}
: >"$CREDSHARE_RELIABILITY_REPORT"
cd internal/integration
go test -race -count=1 -timeout 8h -v ./reliability/ "$@"
echo "figures: $CREDSHARE_RELIABILITY_REPORT" >&2
