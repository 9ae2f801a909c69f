#!/usr/bin/env bash
# bench.sh — the headline benchmarks of docs/performance.md, in one run.
# Needs MariaDB for the MySQL figures (started like the test suite does);
# prints everything to stdout. Run it on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
export CREDSHARE_MYSQL_DSN=${CREDSHARE_MYSQL_DSN:-$(scripts/mariadb-up.sh)}
echo "== $(date -u +%FT%TZ) $(nproc) cores, $(go version), load $(cut -d' ' -f1-3 /proc/loadavg)"
b() { echo "== go test -run '^\$' -bench '$1' $2 $3"; go test -run '^$' -bench "$1" $2 "$3" | grep -E '^(Benchmark|ok|FAIL)'; }
b 'Pipeline' '-benchtime=2000x' ./internal/integration/pipeline
b 'HotTx|Claim' '-benchtime=2s' ./store/sqlitestore
b 'HotTx|Claim' '-benchtime=500x' ./store/mysqlstore
b 'Match$|ApplyMemstore' '-benchtime=2s' ./badge/rules
b 'SourceThroughput' '-benchtime=100000x' ./eventbus/kafkabus
b 'DecodeRecord' '-benchtime=2s' ./eventbus/kafkabus
b 'Allocate' '-benchtime=2s' ./internal/integration/status
b 'RevokeEncodeSign|CheckCached' '-benchtime=2s' ./status
b '.' '-benchtime=2s' ./vc/issuer
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"
