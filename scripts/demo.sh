#!/usr/bin/env bash
# The demo: a local RabbitMQ with an OpenStack-like topology and a few real
# faults, warren running against it, the report printed, metrics served.
# Installs what it needs; Ctrl-C stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error
npm run build --silent
npx tsc -p tsconfig.tools.json
exec node build/scripts/demo.js "$@"
