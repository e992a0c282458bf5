import { describe, expect, it } from 'vitest';
import { snapshotThisStart } from '../../src/snapshot/snapshot-mode.js';
import { configSchema } from '../../src/config/config-schema.js';

const stream = { token: 'pg1:0/10', display: 'lsn 0/10' };
const inSnapshot = { token: 'pgsnap1:pg1:0/10|', display: 'snapshot' };
const isSnapshot = (p: { token: string }) => p.token.startsWith('pgsnap1:');

describe('snapshot.mode', () => {
  it('initial: only a first start (no checkpoint) snapshots', () => {
    expect(snapshotThisStart('initial', null, isSnapshot)).toBe(true);
    expect(snapshotThisStart('initial', stream, isSnapshot)).toBe(false);
  });

  it('always: every start snapshots; never: no start does', () => {
    expect(snapshotThisStart('always', null, isSnapshot)).toBe(true);
    expect(snapshotThisStart('always', stream, isSnapshot)).toBe(true);
    expect(snapshotThisStart('never', null, isSnapshot)).toBe(false);
    expect(snapshotThisStart('never', stream, isSnapshot)).toBe(false);
  });

  it('a snapshot in progress is finished whatever the mode now says', () => {
    for (const mode of ['initial', 'always', 'never'] as const) expect(snapshotThisStart(mode, inSnapshot, isSnapshot)).toBe(true);
  });

  it('defaults to initial with 2 readers and 10000-row chunks, and refuses other values', () => {
    const base = { name: 'n', source: { url: 'postgres://h/db' }, kafka: { brokers: ['k:9092'] }, topicPrefix: 'p' };
    expect(configSchema.parse(base).snapshot).toEqual({ mode: 'initial', parallelism: 2, chunkRows: 10_000 });
    expect(configSchema.parse({ ...base, snapshot: { mode: 'never' } }).snapshot).toEqual({ mode: 'never', parallelism: 2, chunkRows: 10_000 });
    for (const bad of [{ mode: 'sometimes' }, { parallelism: 0 }, { chunkRows: 0 }, { extra: 1 }]) {
      expect(configSchema.safeParse({ ...base, snapshot: bad }).success, JSON.stringify(bad)).toBe(false);
    }
  });
});
