#!/usr/bin/env bash
# fuzz.sh — every fuzz target of the workspace for a fixed budget, as
# `make fuzz` and the long reliability suite (`make reliability`) run it.
#
# Finds each `func FuzzXxx(` in the test files of every package of every
# module listed by go.work (interop/aries is outside the workspace and has
# none), and runs it alone in its package:
#
#   go test -run '^$' -fuzz '^FuzzXxx$' -fuzztime $CREDSHARE_FUZZTIME .
#
# CREDSHARE_FUZZTIME is the budget per target (default 30s; any -fuzztime
# value: 5s, 10000x). CREDSHARE_FUZZ_MATCH, an extended regular expression,
# keeps only the targets whose "package FuzzName" matches it. Prints one line
# per target (ok / FAIL, with the time it took) and a summary; exits non-zero
# when any target failed. CREDSHARE_FUZZ_LIST=1 only lists the targets. A failing input stays where the fuzzing engine writes
# it, testdata/fuzz/FuzzXxx/<hash> in the package's folder: commit it with the
# fix, and `go test` replays it as a regression test from then on. Each
# failure's output is kept in $CREDSHARE_FUZZ_LOGDIR (default a temporary
# folder, printed at the end).
set -euo pipefail
cd "$(dirname "$0")/.."

budget=${CREDSHARE_FUZZTIME:-30s}
match=${CREDSHARE_FUZZ_MATCH:-}
logdir=${CREDSHARE_FUZZ_LOGDIR:-$(mktemp -d "${TMPDIR:-/tmp}/credshare-fuzz.XXXXXX")}
mkdir -p "$logdir"

# targets: lines "<package dir> <import path> <FuzzName>", in module order.
targets=()
for mod in $(go list -m -f '{{.Dir}}'); do
	while IFS='|' read -r dir importpath files; do
		[ -n "$files" ] || continue
		for f in $files; do
			while read -r name; do
				[ -n "$name" ] || continue
				if [ -n "$match" ] && ! printf '%s %s\n' "$importpath" "$name" | grep -Eq -- "$match"; then
					continue
				fi
				targets+=("$dir $importpath $name")
			done < <(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*\*testing\.F).*/\1/p' "$dir/$f")
		done
	done < <(cd "$mod" && go list -f '{{.Dir}}|{{.ImportPath}}|{{join .TestGoFiles " "}} {{join .XTestGoFiles " "}}' ./...)
done

if [ "${CREDSHARE_FUZZ_LIST:-0}" = 1 ]; then
	printf '%s\n' "${targets[@]}" | cut -d' ' -f2-
	exit 0
fi
if [ ${#targets[@]} -eq 0 ]; then
	echo "fuzz.sh: no fuzz targets found${match:+ matching $match}" >&2
	exit 1
fi

echo "fuzz.sh: ${#targets[@]} targets, $budget each" >&2
start=$(date +%s)
failed=()
for t in "${targets[@]}"; do
	read -r dir importpath name <<<"$t"
	log="$logdir/$(printf '%s' "$importpath" | tr '/' '_')_$name.log"
	t0=$(date +%s)
	if (cd "$dir" && go test -run '^$' -fuzz "^${name}\$" -fuzztime "$budget" .) >"$log" 2>&1; then
		printf 'ok   %-60s %-36s %4ss\n' "$importpath" "$name" "$(($(date +%s) - t0))"
		rm -f "$log"
	else
		printf 'FAIL %-60s %-36s %4ss  (log: %s)\n' "$importpath" "$name" "$(($(date +%s) - t0))" "$log"
		grep -E 'Failing input written to|--- FAIL|panic:' "$log" | head -5 | sed 's/^/     /'
		failed+=("$importpath $name")
	fi
done

elapsed=$(($(date +%s) - start))
echo "fuzz.sh: ${#targets[@]} targets, ${#failed[@]} failed, ${elapsed}s" >&2
if [ ${#failed[@]} -ne 0 ]; then
	printf 'failed: %s\n' "${failed[@]}" >&2
	echo "logs: $logdir" >&2
	exit 1
fi
rmdir "$logdir" 2>/dev/null || true
