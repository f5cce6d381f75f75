#!/usr/bin/env bash
# `npm run bench`: warren's poll cost against the plugin's endpoints and a full
# /api/queues on a private RabbitMQ node with an OpenStack-sized topology (see
# bench/run.ts for the flags). Installs what it needs, like the demo; stops
# everything it started. Takes ~20 min at the default sizes (1k, 10k, 50k queues).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error
npm run build --silent
npx tsc -p tsconfig.tools.json
# 2k client connections plus the broker's own files: ask for more descriptors where
# the hard limit allows (the broker inherits this limit; its fd_total follows it).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
exec node build/bench/run.js "$@"
