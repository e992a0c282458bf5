import { describe, expect, it } from 'vitest';
import { isLeadershipMoving, readWhileLeadershipMoves } from '../../src/kafka/leadership-retry.js';

const notLeader = () => Object.assign(new Error('retries exceeded'), { cause: Object.assign(new Error('This server is not the leader for that topic-partition'), { type: 'NOT_LEADER_FOR_PARTITION' }) });

describe('reading while partition leadership moves', () => {
  it('tells leadership errors (also as a cause) from others', () => {
    expect(isLeadershipMoving(notLeader())).toBe(true);
    expect(isLeadershipMoving(Object.assign(new Error('x'), { type: 'LEADER_NOT_AVAILABLE' }))).toBe(true);
    expect(isLeadershipMoving(Object.assign(new Error('x'), { type: 'TOPIC_AUTHORIZATION_FAILED' }))).toBe(false);
    expect(isLeadershipMoving(new Error('plain'))).toBe(false);
  });

  it('reads again after leadership errors and returns what the read returns', async () => {
    let calls = 0;
    const value = await readWhileLeadershipMoves(async () => {
      calls++;
      if (calls < 3) throw notLeader();
      return 'read';
    });
    expect({ value, calls }).toEqual({ value: 'read', calls: 3 });
  });

  it('throws any other error at once, and a leadership error once its time is up', async () => {
    let calls = 0;
    const other = new Error('decode failed');
    await expect(readWhileLeadershipMoves(async () => { calls++; throw other; })).rejects.toBe(other);
    expect(calls).toBe(1);
    calls = 0;
    const started = Date.now();
    await expect(readWhileLeadershipMoves(async () => { calls++; throw notLeader(); }, { forMs: 600 })).rejects.toThrow('retries exceeded');
    expect(calls).toBeGreaterThan(1);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
