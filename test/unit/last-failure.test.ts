import { describe, expect, it } from 'vitest';
import { decodeLastFailure, encodeLastFailure, failureFix, lastFailureKey } from '../../src/pipeline/last-failure.js';

describe('the last failure kept beside the checkpoint', () => {
  it('round-trips, and its key can never be a connector name (names hold no #)', () => {
    const failure = { code: 'SCHEMA_EVOLUTION', message: 'x-value: the new schema cannot read records', position: { token: 'pg1:0/10', display: 'lsn 0/10' }, failedAtMicros: 1_765_000_000_000_000n, logtapVersion: '0.1.0' };
    expect(decodeLastFailure(encodeLastFailure(failure))).toEqual(failure);
    expect(decodeLastFailure(encodeLastFailure({ ...failure, position: null }))).toEqual({ ...failure, position: null });
    expect(lastFailureKey('shop-pg')).toBe('shop-pg#last-failure');
  });

  it('golden: the failure1 form written by this version keeps reading', () => {
    const golden = '{"v":"failure1","code":"ENCODING","message":"m","position":{"token":"my1:gtid=0-1-5","display":"gtid 0-1-5"},"failedAtMicros":"1765000000000000","logtapVersion":"0.1.0"}';
    expect(decodeLastFailure(Buffer.from(golden))).toEqual({ code: 'ENCODING', message: 'm', position: { token: 'my1:gtid=0-1-5', display: 'gtid 0-1-5' }, failedAtMicros: 1_765_000_000_000_000n, logtapVersion: '0.1.0' });
  });

  it('a record it cannot read is still shown as a failure, not hidden', () => {
    expect(decodeLastFailure(Buffer.from('{"v":"failure9"}')).code).toBe('UNKNOWN');
    expect(decodeLastFailure(Buffer.from('not json')).code).toBe('UNKNOWN');
  });

  it('every code has a way out', () => {
    expect(failureFix('POSITION_LOST')).toMatch(/logtap offsets reset/);
    expect(failureFix('ENCODING')).toMatch(/skip-current-transaction/);
    expect(failureFix('SINK')).toMatch(/max\.message\.bytes/);
    expect(failureFix('SOMETHING_NEW')).toMatch(/docs\/operations\.md#runbook/);
  });
});
