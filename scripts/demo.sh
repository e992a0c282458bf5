#!/usr/bin/env bash
# The README's first command: installs what it needs, starts the local test bed, and shows one change
# travelling from PostgreSQL's WAL into Kafka.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
node scripts/services.mjs up >/dev/null
exec node --import tsx scripts/demo-pg-to-kafka.ts
