#!/usr/bin/env bash
# mariadb-up.sh — install (if missing) and start a throwaway MariaDB for the
# test suite, listening on 127.0.0.1 only, data in $CREDSHARE_MARIADB_DIR.
# Prints the DSN on stdout; everything else goes to stderr.
# Stop it with: kill "$(cat "$CREDSHARE_MARIADB_DIR/mariadbd.pid")"
set -euo pipefail
port=${CREDSHARE_MARIADB_PORT:-3307}
dir=${CREDSHARE_MARIADB_DIR:-${TMPDIR:-/tmp}/credshare-mariadb}
db=credshare user=credshare pass=credshare
sock="$dir/mysqld.sock"
dsn="$user:$pass@tcp(127.0.0.1:$port)/$db?parseTime=true"

apt_install() {
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq --no-install-recommends "$@" >&2 ||
		{ apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends "$@" >&2; }
}
ping_db() { mariadb-admin --no-defaults --socket="$sock" -uroot ping >/dev/null 2>&1; }

[ -x /usr/sbin/mariadbd ] || apt_install mariadb-server mariadb-client
if ping_db; then echo "$dsn"; exit 0; fi
mkdir -p "$dir"
if [ ! -d "$dir/data/mysql" ]; then
	mariadb-install-db --no-defaults --user="$(id -un)" --datadir="$dir/data" \
		--auth-root-authentication-method=socket --skip-test-db >"$dir/install.log" 2>&1 ||
		{ cat "$dir/install.log" >&2; exit 1; }
fi
setsid /usr/sbin/mariadbd --no-defaults --user="$(id -un)" --datadir="$dir/data" \
	--bind-address=127.0.0.1 --port="$port" --socket="$sock" --pid-file="$dir/mariadbd.pid" \
	--log-error="$dir/error.log" --skip-name-resolve --innodb-buffer-pool-size=256M \
	--innodb-flush-log-at-trx-commit=2 --max-connections=500 \
	--character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci </dev/null >/dev/null 2>&1 &
for _ in $(seq 1 150); do ping_db && break; sleep 0.1; done
ping_db || { echo "mariadb-up: MariaDB did not start:" >&2; tail -20 "$dir/error.log" >&2; exit 1; }
mariadb --no-defaults --socket="$sock" -uroot <<SQL
CREATE DATABASE IF NOT EXISTS \`$db\` CHARACTER SET utf8mb4;
CREATE USER IF NOT EXISTS '$user'@'127.0.0.1' IDENTIFIED BY '$pass';
CREATE USER IF NOT EXISTS '$user'@'localhost' IDENTIFIED BY '$pass';
GRANT ALL PRIVILEGES ON \`$db\`.* TO '$user'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`${db}\_%\`.* TO '$user'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`$db\`.* TO '$user'@'localhost';
GRANT ALL PRIVILEGES ON \`${db}\_%\`.* TO '$user'@'localhost';
SQL
echo "$dsn"
