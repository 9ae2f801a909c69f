#!/usr/bin/env bash
# redis-up.sh — install (if missing) and start a throwaway redis-server for the
# test suite on 127.0.0.1. Prints the URL on stdout.
# Stop it with: kill "$(cat "$CREDSHARE_REDIS_DIR/redis.pid")"
set -euo pipefail
port=${CREDSHARE_REDIS_PORT:-6380}
dir=${CREDSHARE_REDIS_DIR:-${TMPDIR:-/tmp}/credshare-redis}
url="redis://127.0.0.1:$port/0"
if ! command -v redis-server >/dev/null; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq --no-install-recommends redis-server >&2 ||
		{ apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends redis-server >&2; }
fi
ping_redis() { redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1; }
if ping_redis; then echo "$url"; exit 0; fi
mkdir -p "$dir"
redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --save '' --appendonly no \
	--daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >&2
for _ in $(seq 1 50); do ping_redis && break; sleep 0.1; done
ping_redis || { echo "redis-up: redis-server did not start:" >&2; tail -20 "$dir/redis.log" >&2; exit 1; }
echo "$url"
