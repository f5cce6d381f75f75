#!/usr/bin/env bash
# Install the real components warren's tests and demo run against (Debian bookworm):
# RabbitMQ, Prometheus (+ promtool), Alertmanager, iproute2 (network namespaces for the
# cluster tests), procps, openssl, chromium (HTML report rendering), systemd (systemd-analyze
# verify of deploy/warren.service; amtool comes with prometheus-alertmanager),
# python3-oslo.messaging (real OpenStack RPC servers, clients and notifiers in test/oslo/).
#
# Idempotent: installs only what is missing and does nothing (not even apt-get update)
# when everything is present. Never leaves a service running: the test harness starts
# private instances itself, and a package-started daemon would hold the default ports.
set -euo pipefail

PACKAGES=(rabbitmq-server prometheus prometheus-alertmanager iproute2 procps openssl chromium systemd python3-oslo.messaging)

export DEBIAN_FRONTEND=noninteractive

is_installed() {
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}

missing=()
for p in "${PACKAGES[@]}"; do
  is_installed "$p" || missing+=("$p")
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all packages present (${PACKAGES[*]})"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    exec sudo -E bash "$0" "$@"
  fi
  echo "install-deps: need root to install: ${missing[*]}" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"

# The packages' own service users: anything running as them was started by a postinst.
service_pids() {
  local u
  for u in rabbitmq prometheus; do
    if id -u "$u" >/dev/null 2>&1; then pgrep -u "$u" || true; fi
  done
}
before="$(service_pids | sort -u)"

# Forbid postinst scripts from starting services (invoke-rc.d honours policy-rc.d).
# Only our own file is removed afterwards; an existing one (Docker images ship one) stays.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# temporary, from warren scripts/install-deps.sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  created_policy=1
fi
cleanup() {
  if [ "$created_policy" = 1 ]; then rm -f "$policy"; fi
}
trap cleanup EXIT

apt_lock=/tmp/warren-apt.lock
apt_opts=(-o DPkg::Lock::Timeout=600)
flock "$apt_lock" apt-get "${apt_opts[@]}" update
flock "$apt_lock" apt-get "${apt_opts[@]}" install -y --no-install-recommends "${missing[@]}"

# Belt and braces: stop whatever the packages started anyway (no systemd here, but a
# postinst may fall back to starting a daemon directly). Only processes that appeared
# during this install and run as the packages' service users.
after="$(service_pids | sort -u)"
new="$(comm -13 <(printf '%s\n' "$before") <(printf '%s\n' "$after") | grep -E '^[0-9]+$' || true)"
if [ -n "$new" ]; then
  echo "install-deps: stopping package-started processes: $(echo $new)"
  # shellcheck disable=SC2086
  kill $new 2>/dev/null || true
  sleep 3
  # shellcheck disable=SC2086
  kill -9 $new 2>/dev/null || true
fi

still=()
for p in "${PACKAGES[@]}"; do
  is_installed "$p" || still+=("$p")
done
if [ "${#still[@]}" -ne 0 ]; then
  echo "install-deps: still missing: ${still[*]}" >&2
  exit 1
fi
echo "install-deps: done"
