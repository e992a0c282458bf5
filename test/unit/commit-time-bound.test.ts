import { describe, expect, it } from 'vitest';
import { CommitTimeBound } from '../../connectors/postgres/commit-time-bound.js';
import type { ClockProbe, RunningTransaction } from '../../connectors/postgres/source-clock.js';

const probe = (timeMicros: bigint, insertLsn: bigint, running: Record<string, RunningTransaction> = {}): ClockProbe =>
  ({ timeMicros, insertLsn, running: new Map(Object.entries(running)) });
const active = (statementStartMicros: bigint | null): RunningTransaction => ({ idleInTransaction: false, statementStartMicros });

describe('the commit-time bound of PostgreSQL watermarks', () => {
  it('holds a quiet probe once the stream passed its insert position, not before', () => {
    const bound = new CommitTimeBound();
    bound.add(probe(1_000n, 500n));
    expect(bound.wantsProbe).toBe(false);
    expect(bound.take(499n)).toBeUndefined();
    expect(bound.take(500n)).toBe(1_000n);
    expect(bound.take(10_000n)).toBeUndefined();
    expect(bound.wantsProbe).toBe(true);
  });

  it('waits for a transaction that may have stamped its commit before the clock, until a later probe sees it finished', () => {
    const bound = new CommitTimeBound();
    // xid 7 is in a statement that began before the clock: it may be between stamping its commit and writing the record.
    bound.add(probe(1_000n, 500n, { 7: active(900n) }));
    expect(bound.take(10_000n)).toBeUndefined();
    expect(bound.wantsProbe).toBe(true);
    bound.add(probe(2_000n, 600n, { 7: active(900n) }));
    expect(bound.take(10_000n)).toBeUndefined();
    // Finished: its commit record is below the insert position of the probe that saw it gone.
    bound.add(probe(3_000n, 700n, { 8: active(2_500n) }));
    expect(bound.take(699n)).toBeUndefined();
    expect(bound.take(700n)).toBe(1_000n);
  });

  it('does not wait for a transaction idle in its block, or in a statement that began after the clock', () => {
    const first = new CommitTimeBound();
    first.add(probe(1_000n, 500n, { 7: { idleInTransaction: true, statementStartMicros: 100n }, 8: active(1_001n) }));
    expect(first.take(500n)).toBe(1_000n);
    const later = new CommitTimeBound();
    later.add(probe(1_000n, 500n, { 7: active(null) }));
    // Still running at the next probe, but now idle in its block: it had not begun to commit.
    later.add(probe(2_000n, 600n, { 7: { idleInTransaction: true, statementStartMicros: 1_500n } }));
    expect(later.take(599n)).toBeUndefined();
    expect(later.take(600n)).toBe(1_000n);
  });

  it('keeps a session whose state it may not read (another role) waited for', () => {
    const bound = new CommitTimeBound();
    bound.add(probe(1_000n, 500n, { 7: active(null) }));
    bound.add(probe(2_000n, 600n, { 7: active(null) }));
    expect(bound.take(10_000n)).toBeUndefined();
  });
});
