import v8 from 'node:v8';

/**
 * V8 options the shipped daemon runs with (Dockerfile `ENV NODE_OPTIONS`, the Kubernetes manifests, the
 * vs-Debezium bench). Measured 2026-11-22 on a PostgreSQL catch-up of 100k changes: peak RSS 217 MB with
 * Node's default young generation, 184 MB with 4 MB semi-spaces, for the same CPU. A heap cap
 * (`--max-old-space-size`) lowers RSS further (~110–125 MB at 80 MB) at the price of more GC and an
 * out-of-memory exit when a large snapshot read-ahead needs the room: set it per deployment (docs/operations.md).
 */
export const DAEMON_NODE_OPTIONS = ['--max-semi-space-size=4'] as const;

/**
 * How far V8 lets the heap grow past what survived the last full collection before collecting again: by
 * default up to 4× when collection is cheap, so a daemon whose live heap is ~25 MB peaked at 70–85 MB of heap
 * under a catch-up. A fixed 2× keeps the peak near 50 MB. 1.5× (2026-11-22 to 2026-12-07) kept it lower still,
 * but a batch being committed is promoted to the old generation, so at 1.5× a PostgreSQL catch-up ran a full
 * collection every ~140 ms (24 per 100k changes against 8 at 2×), whose concurrent marking took 14–21 µs of
 * V8's helper threads per change: CPU the walsender and the broker share the machine with. 2× measured
 * (docs/benchmarks.md, 2026-12-07): PostgreSQL catch-up 32 instead of 40 µs of CPU per change (medians of 9
 * runs each), snapshot +13–31% rows/s, for 0–25 MB more peak RSS (none streaming PostgreSQL, ~15 MB on a
 * snapshot and streaming MariaDB). Unlike a heap cap it cannot end in an out-of-memory
 * exit: a large value still gets the room it needs.
 */
export const DAEMON_V8_FLAGS = ['--heap-growing-percent=100'] as const;

/** Applies DAEMON_V8_FLAGS to this process (they take effect at once; the commands that stream call it). */
export function applyDaemonHeapPolicy(): void {
  for (const flag of DAEMON_V8_FLAGS) v8.setFlagsFromString(flag);
}
