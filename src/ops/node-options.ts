/**
 * V8 options the shipped daemon runs with (Dockerfile `ENV NODE_OPTIONS`, the Kubernetes manifests, the
 * vs-Debezium bench). Measured 2026-11-22 on a PostgreSQL catch-up of 100k changes: peak RSS 217 MB with
 * Node's default young generation, 184 MB with 4 MB semi-spaces, for the same CPU. A heap cap
 * (`--max-old-space-size`) lowers RSS further (~110–125 MB at 80 MB) at the price of more GC and an
 * out-of-memory exit when a large snapshot read-ahead needs the room: set it per deployment (docs/operations.md).
 */
export const DAEMON_NODE_OPTIONS = ['--max-semi-space-size=4'] as const;
