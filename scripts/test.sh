#!/usr/bin/env bash
# Every test warren has: unit, integration (real RabbitMQ, three-node cluster in
# network namespaces, Prometheus, Alertmanager, Chromium) and promtool rule tests.
# Installs what it needs on a fresh Debian machine (root), builds, runs, and
# stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
npm ci --no-audit --no-fund --loglevel=error
npm run build
# Tests, harness, scripts and benchmark are type-checked too (tsconfig.json covers src/ only).
npm run typecheck

results=$(mktemp -d)
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$results/vitest.json" || status=$?

promtool_passed=0
promtool_failed=0
if compgen -G "alerts/*.yml" >/dev/null; then
  if promtool check rules alerts/*.yml; then promtool_passed=$((promtool_passed + 1)); else promtool_failed=$((promtool_failed + 1)); status=1; fi
fi
if compgen -G "test/promtool/*.yml" >/dev/null; then
  for f in test/promtool/*.yml; do
    if promtool test rules "$f"; then promtool_passed=$((promtool_passed + 1)); else promtool_failed=$((promtool_failed + 1)); status=1; fi
  done
fi

node -e '
  const r = require(process.argv[1]);
  const passed = r.numPassedTests + Number(process.argv[2]);
  const failed = r.numFailedTests + Number(process.argv[3]);
  console.log(`\ntests: ${passed} passed, ${failed} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));
' "$results/vitest.json" "$promtool_passed" "$promtool_failed" || status=1
rm -rf "$results"
exit "$status"
