#!/usr/bin/env bash
# `npm run bench`: issue 15's targets measured side by side with the broker's plugin on a
# private RabbitMQ node with an OpenStack-sized topology (10k and 50k queues, 2,000
# connections: poll cost against the plugin's endpoints and a full /api/queues, per-queue
# counters, `warren run`'s peak RSS and /metrics p99), then the mass-failure scenario on a
# broker of its own; see bench/run.ts for the flags. Installs what it needs, like the demo;
# stops everything it started. Takes about an hour at the defaults on 2 shared cores
# (each size's daemon runs 6 min to fill its history; the 50k broker alone takes 2 GiB).
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
