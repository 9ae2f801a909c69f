#!/usr/bin/env bash
# Installs the node verifiers used by the interop tests (interop/node):
# Digital Bazaar's VC stack, DIDKit (WASM), jose, the status list packages,
# and the PNG chunk reader and XML parser the baking test unbakes with
# (png-chunks-extract, sax), exactly as pinned in
# interop/node/package-lock.json.
# Idempotent: does nothing when node_modules matches the lock file.
# Fails loudly (non-zero exit, message on stderr) when it cannot install.
set -euo pipefail
dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../interop/node" && pwd)"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "interop-up: node and npm are required (Debian: apt-get install -y nodejs npm)" >&2
  exit 1
fi
stamp="$dir/node_modules/.package-lock.json"
if [[ -d "$dir/node_modules" && -f "$stamp" && ! "$dir/package-lock.json" -nt "$stamp" ]]; then
  exit 0
fi
echo "interop-up: npm ci in interop/node" >&2
if ! (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2); then
  echo "interop-up: npm ci failed in $dir" >&2
  rm -rf "$dir/node_modules"
  exit 1
fi
cd "$dir" && node --input-type=module -e 'await import("@digitalbazaar/vc"); await import("@spruceid/didkit-wasm-node"); await import("jose"); await import("png-chunks-extract"); await import("sax");' || { echo "interop-up: installed packages do not load" >&2; exit 1; }
