import { describe, expect, it } from 'vitest';
import { lockName } from '../../connectors/mysql/instance-lock.js';

describe('the MySQL instance lock name', () => {
  it('is logtap:<name> when that fits the 64 characters a lock name may have', () => {
    expect(lockName('shop-mysql')).toBe('logtap:shop-mysql');
    expect(lockName('x'.repeat(57))).toBe(`logtap:${'x'.repeat(57)}`);
  });

  it('is a stable hash of the name beyond, distinct per name', () => {
    const long = 'x'.repeat(58);
    expect(lockName(long)).toHaveLength(63);
    expect(lockName(long)).toBe(lockName(long));
    expect(lockName(long)).not.toBe(lockName(`${long}y`));
  });
});
