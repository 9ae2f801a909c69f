#!/usr/bin/env bash
# test.sh — the whole test suite, as `make test` and CI run it.
#
# Provisions what the tests need when it is missing (MariaDB and Redis from
# Debian's packages, started on 127.0.0.1 with their data in a temporary
# folder; the npm verifiers for the interop tests; Debian's chromium for the
# headless browser test of vc/verifypage), runs go vet and
# go test -race over every package with them, then stops the servers it
# started, by PID; staticcheck runs beside go vet. Fails if any of them
# cannot be provisioned.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
tmp=$(mktemp -d "${TMPDIR:-/tmp}/credshare-test.XXXXXX")
export CREDSHARE_MARIADB_DIR="$tmp/mariadb" CREDSHARE_REDIS_DIR="$tmp/redis"
export CREDSHARE_MARIADB_PORT=${CREDSHARE_MARIADB_PORT:-3317} CREDSHARE_REDIS_PORT=${CREDSHARE_REDIS_PORT:-6390}

stop() {
	for pidfile in "$CREDSHARE_MARIADB_DIR/mariadbd.pid" "$CREDSHARE_REDIS_DIR/redis.pid"; do
		if [ -f "$pidfile" ]; then kill "$(cat "$pidfile")" 2>/dev/null || true; fi
	done
	for _ in $(seq 1 50); do
		[ -f "$CREDSHARE_MARIADB_DIR/mariadbd.pid" ] && kill -0 "$(cat "$CREDSHARE_MARIADB_DIR/mariadbd.pid")" 2>/dev/null || break
		sleep 0.1
	done
	rm -rf "$tmp"
}
trap stop EXIT

step() { printf '\n==> %s\n' "$*" >&2; }

step "MariaDB"
CREDSHARE_MYSQL_DSN=$(scripts/mariadb-up.sh)
step "Redis"
CREDSHARE_REDIS_URL=$(scripts/redis-up.sh)
export CREDSHARE_MYSQL_DSN CREDSHARE_REDIS_URL
if [ -x scripts/interop-up.sh ]; then
	step "npm verifiers (interop/node)"
	scripts/interop-up.sh >&2
	export CREDSHARE_REQUIRE_INTEROP=1
fi
step "Chromium (headless browser tests)"
CREDSHARE_CHROMIUM=$(scripts/chromium-up.sh)
export CREDSHARE_CHROMIUM CREDSHARE_REQUIRE_CHROMIUM=1
export CREDSHARE_REQUIRE_MYSQL=1 CREDSHARE_REQUIRE_REDIS=1

step "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './interop/node/*'))
if [ -n "$unformatted" ]; then echo "gofmt needed on:" >&2; echo "$unformatted" >&2; exit 1; fi

# The repository's modules (go.work): the core and the heavy adapters, the
# command, the examples and the integration tests. Each module's go.mod and
# go.sum must be tidy on its own (GOWORK=off, its replace directives
# pointing at its siblings), as a user of that module builds it; vet,
# staticcheck and the tests then run once over every module's packages in
# workspace mode, so shared packages are analysed once and test binaries of
# all modules run in parallel.
modules=$(go list -m -f '{{.Dir}}')
pkgs=()
for dir in $modules; do
	rel=${dir#"$root"}; rel=.${rel}
	step "$rel: go mod tidy -diff"
	(cd "$dir" && GOWORK=off go mod tidy -diff)
	pkgs+=("$rel/...")
done
staticcheck_version=${STATICCHECK_VERSION:-v0.8.2}
# Pinned here rather than as a tool dependency in go.mod, so that library
# users do not inherit it in their module graph.
staticcheck=(go run "honnef.co/go/tools/cmd/staticcheck@$staticcheck_version")

step "go vet (every module)"
go vet "${pkgs[@]}"

step "staticcheck (every module)"
"${staticcheck[@]}" "${pkgs[@]}"

step "go test -race (every module)"
go test -race -timeout 20m -count=1 "${pkgs[@]}"

for mod in $(find interop -name go.mod -not -path '*/node_modules/*' 2>/dev/null | sort); do
	dir=$(dirname "$mod")
	step "go test ./... in nested module $dir"
	(cd "$dir" && export GOWORK=off && go vet ./... && "${staticcheck[@]}" ./... && go test -count=1 -timeout 20m ./...)
done
