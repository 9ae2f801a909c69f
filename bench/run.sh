#!/usr/bin/env bash
# bench/run.sh — run the benchmark set of docs/performance.md and render the
# doc from the results.
#
#   bench/run.sh          full run (~10 minutes): results in bench/results/,
#                         the doc written to docs/performance.md
#   bench/run.sh -short   small benchtimes (a few minutes), to try the harness:
#                         results and doc in bench/results/short/ (never
#                         docs/performance.md)
#   bench/run.sh -render  no benchmarks: re-render docs/performance.md from
#                         bench/results/latest.txt (after editing the template)
#
# It provisions what it needs: a MariaDB of its own (scripts/mariadb-up.sh on
# port $CREDSHARE_BENCH_MARIADB_PORT, default 3318, in a fresh directory),
# stopped by its PID at the end, unless CREDSHARE_MYSQL_DSN is already set;
# the npm verifiers (scripts/interop-up.sh) for the peers' figures. What it
# cannot provision is left out and shown as "not measured".
# Run the full mode on an otherwise idle machine: the doc records the load.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mode=full out=bench/results doc=docs/performance.md rounds=100
if [[ "${1:-}" == "-render" ]]; then
	exec go run ./bench/report -results bench/results/latest.txt -template bench/performance.md.tmpl -o docs/performance.md
elif [[ "${1:-}" == "-short" ]]; then
	mode=short out=bench/results/short doc=bench/results/short/performance.md rounds=10
elif [[ -n "${1:-}" ]]; then
	echo "usage: bench/run.sh [-short | -render]" >&2
	exit 2
fi
mkdir -p "$out"
res="$out/latest.txt"
load() { cut -d' ' -f1-3 /proc/loadavg; }

mariadb_dir=""
stop_mariadb() {
	[[ -n "$mariadb_dir" && -f "$mariadb_dir/mariadbd.pid" ]] || return 0
	local pid
	pid=$(cat "$mariadb_dir/mariadbd.pid")
	kill "$pid" 2>/dev/null
	for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	rm -rf "$mariadb_dir"
}
trap stop_mariadb EXIT
if [[ -z "${CREDSHARE_MYSQL_DSN:-}" ]]; then
	mariadb_dir=$(mktemp -d "${TMPDIR:-/tmp}/credshare-bench-mariadb.XXXXXX")
	if dsn=$(CREDSHARE_MARIADB_PORT=${CREDSHARE_BENCH_MARIADB_PORT:-3318} CREDSHARE_MARIADB_DIR="$mariadb_dir" scripts/mariadb-up.sh); then
		export CREDSHARE_MYSQL_DSN="$dsn"
	else
		echo "bench: no MariaDB; its benchmarks will be shown as not measured" >&2
	fi
fi
peers=1
bash scripts/interop-up.sh || { peers=0; echo "bench: no npm verifiers; the node peers will be shown as not measured" >&2; }

{
	echo "date: $(date -u +%FT%TZ)"
	echo "mode: $mode"
	echo "cores: $(nproc)"
	echo "cpu-model: $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//; s/ *$//')"
	echo "go: $(go version)"
	echo "kernel: $(uname -sr)"
	echo "commit: $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD 2>/dev/null || echo ' (with local changes)')"
	[[ -n "${CREDSHARE_MYSQL_DSN:-}" ]] && echo "mariadb: $(/usr/sbin/mariadbd --version 2>/dev/null | sed 's/^.*Ver //')"
	command -v node >/dev/null && echo "node: $(node --version)"
	echo "load-before: $(load)"
} >"$res"

fail=0
while read -r area pkg re full short cpu; do
	[[ -z "$area" || "$area" == \#* ]] && continue
	bt=$full
	[[ $mode == short ]] && bt=$short
	[[ $bt == - ]] && continue
	cmd="go test -run '^\$' -bench '$re' -benchtime $bt -cpu $cpu -benchmem $pkg"
	echo "bench: $cmd" >&2
	echo "== area: $area | load: $(load) | cmd: $cmd" >>"$res"
	go test -run '^$' -bench "$re" -benchtime "$bt" -cpu "$cpu" -benchmem "$pkg" >>"$res" 2>&1 || fail=1
done <bench/set.txt

if [[ $peers == 1 ]]; then
	cmd="node interop/node/verify.mjs bench $rounds interop/node/sample-obv3.json"
	echo "bench: $cmd" >&2
	echo "== area: peers | load: $(load) | cmd: $cmd" >>"$res"
	if node interop/node/verify.mjs bench "$rounds" interop/node/sample-obv3.json >"$out/peers-node.json"; then
		# The same figures as benchmark lines: ns/op is wall-clock per round.
		node -e '
			const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
			for (const [k, v] of Object.entries(r))
				console.log(`BenchmarkNode/${k}\t${process.argv[2]}\t${(1e9 / v.ops_s).toFixed(0)} ns/op\t${v.ops_s} ops/s\t${v.ops_cpu_s} ops/cpu-s`);
		' "$out/peers-node.json" "$rounds" >>"$res"
	else
		fail=1
	fi
fi
echo "load-after: $(load)" >>"$res"

go run ./bench/report -results "$res" -template bench/performance.md.tmpl -o "$doc" || exit 1
echo "bench: results in $res, doc in $doc" >&2
exit $fail
