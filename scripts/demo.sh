#!/usr/bin/env bash
# The README's first command: installs what it needs, then `logtap demo` starts the local test bed, creates a
# sample schema, streams a short write workload through logtap into Kafka (events printed live), and rebuilds
# the tables by replay. Ctrl-C stops everything cleanly. Arguments go to `logtap demo` (see --help).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
exec node bin/logtap.js demo "$@"
