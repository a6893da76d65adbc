#!/usr/bin/env bash
# Soak: the fleet simulation for 10 minutes (not in CI). Workers' memory must stay flat:
# compare "workers RSS first ... last" and total_rss_mib_by_minute in the report.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -m bench.fleet --agents "${AGENTS:-200}" --duration "${DURATION:-600}" \
  --port "${PORT:-18151}" --json "${JSON:-/tmp/freezer-soak.json}" "$@"
