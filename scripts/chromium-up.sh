#!/usr/bin/env bash
# chromium-up.sh — install (if missing) Debian's chromium for the headless
# browser tests (vc/verifypage). Prints the binary's path on stdout.
# Nothing is started: each test runs `chromium --headless` itself and kills
# it by PID.
set -euo pipefail
bin=${CREDSHARE_CHROMIUM:-}
if [ -z "$bin" ]; then
	bin=$(command -v chromium || true)
fi
if [ -z "$bin" ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq --no-install-recommends chromium >&2 ||
		{ apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends chromium >&2; }
	bin=$(command -v chromium)
fi
"$bin" --version >&2 || { echo "chromium-up: $bin does not run" >&2; exit 1; }
echo "$bin"
