#!/usr/bin/env bash
# Sign and verify speed of a ~2 KB Open Badges 3.0 credential, ours (Go) and
# the peers' (Digital Bazaar, DIDKit WASM) in one run, one after the other.
# Usage: interop/bench.sh [node rounds, default 100]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/interop-up.sh
echo "== $(date -u +%FT%TZ) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== credshare (Go): ops/s = 1e9 / ns/op"
go test -run '^$' -bench . -benchtime 2s ./vc/issuer | grep -E '^Benchmark' | awk '{for(i=1;i<=NF;i++) if($i=="ops/cpu-s") c=$(i-1); printf "%-45s %8.0f ops/s %8.0f ops/cpu-s\n", $1, 1e9/$3, c}'
echo "== peers (node $(node --version)), ops/s over ${1:-100} rounds"
node interop/node/verify.mjs bench "${1:-100}" interop/node/sample-obv3.json | node -e 'const r=JSON.parse(require("fs").readFileSync(0,"utf8"));for(const[k,v] of Object.entries(r))console.log(k.padEnd(45),String(v.ops_s).padStart(8),"ops/s",String(v.ops_cpu_s).padStart(8),"ops/cpu-s")'
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"
