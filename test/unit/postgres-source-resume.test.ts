import { describe, expect, it } from 'vitest';
import { ResumeFilter } from '../../connectors/postgres/resume-filter.js';
import { parsePosition } from '../../connectors/postgres/pg-position.js';

// What a resume position says was published already: whole transactions below it, and the first k
// changes of the transaction a partial position sits in.
describe('resume filter', () => {
  it('without a position skips nothing', () => {
    const filter = new ResumeFilter(null);
    expect(filter.changesToSkip(0n)).toBe(0);
    expect(filter.covers(0n)).toBe(false);
    expect(filter.floor).toBeNull();
  });

  it('after a complete position skips the transactions that commit below it', () => {
    const filter = new ResumeFilter(parsePosition('pg1:0/1000'));
    expect(filter.changesToSkip(0x0fd0n)).toBe(Infinity);
    // A commit record may start exactly where the previous commit ended: not covered.
    expect(filter.changesToSkip(0x1000n)).toBe(0);
    expect(filter.changesToSkip(0x1040n)).toBe(0);
    expect(filter.covers(0x0fffn)).toBe(true);
    expect(filter.covers(0x1000n)).toBe(false);
    expect(filter.floor).toBe(0x1000n);
  });

  it('inside a transaction skips that many of its changes, and everything before it', () => {
    const filter = new ResumeFilter(parsePosition('pg1:0/1000#3'));
    expect(filter.changesToSkip(0x0ff0n)).toBe(Infinity);
    expect(filter.changesToSkip(0x1000n)).toBe(3);
    expect(filter.changesToSkip(0x1001n)).toBe(0);
    expect(filter.covers(0x0fffn)).toBe(true);
    expect(filter.covers(0x1000n)).toBe(false);
    expect(filter.floor).toBe(0x1000n);
  });
});
