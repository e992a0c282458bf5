import { describe, expect, it } from 'vitest';
import { ConfigError, ConnectionError, LogtapError, PositionLostError } from '../../src/errors.js';
import { mapPgError, SourceSetupError } from '../../connectors/postgres/pg-errors.js';
import { pgEndpoint, scrub } from '../../connectors/postgres/pg-endpoint.js';

// How driver failures become one line each. The error objects have the fields pg and Node give them
// (code, message); the real failures are produced against the server in test/integration/postgres-source-errors.test.ts.
const endpoint = pgEndpoint('postgres://app:S3cret-pw@db.example:5433/shop');
const pgError = (code: string, message: string, hint?: string) => Object.assign(new Error(message), { code, hint });

describe('PostgreSQL error mapping', () => {
  it('reads the endpoint from the URL', () => {
    expect(endpoint).toEqual({ host: 'db.example', port: '5433', database: 'shop', user: 'app', password: 'S3cret-pw' });
    expect(pgEndpoint('postgresql://u@h/d')).toMatchObject({ port: '5432', database: 'd', user: 'u', password: '' });
    expect(pgEndpoint('postgres://u:p@h:1').database).toBe('u');
  });

  const cases: Array<[unknown, new (...args: never[]) => LogtapError, boolean, RegExp]> = [
    [pgError('28P01', 'password authentication failed for user "app"'), ConfigError, false, /cannot log in to PostgreSQL at db\.example:5433\/shop as "app": password authentication failed/],
    [pgError('28000', 'no pg_hba.conf entry for replication connection from host "10.0.0.1", user "app", no encryption'), SourceSetupError, false, /refuses replication connections .* pg_hba\.conf/],
    [pgError('3D000', 'database "shop" does not exist'), ConfigError, false, /database "shop" does not exist on PostgreSQL at db\.example:5433/],
    [pgError('42501', 'must be superuser or replication role to start walsender'), SourceSetupError, false, /lacks the REPLICATION attribute — run ALTER ROLE "app" REPLICATION;/],
    [pgError('42501', 'permission denied for database shop'), SourceSetupError, false, /refused streaming to role "app": permission denied for database shop/],
    [pgError('55000', 'logical decoding requires wal_level >= logical'), SourceSetupError, false, /wal_level=logical — run ALTER SYSTEM SET wal_level = logical; and restart PostgreSQL/],
    [pgError('55006', 'replication slot "logtap_x" is active for PID 4242'), ConnectionError, true, /is active for PID 4242 — another process streams from this slot/],
    [pgError('53400', 'all replication slots are in use'), SourceSetupError, false, /raise max_replication_slots/],
    [pgError('53300', 'number of requested standby connections exceeds max_wal_senders (currently 10)'), ConnectionError, true, /no free connection/],
    [pgError('58P01', 'requested WAL segment 000000010000000000000001 has already been removed'), PositionLostError, false, /no longer holds the WAL to resume from/],
    [pgError('57P01', 'terminating connection due to administrator command'), ConnectionError, true, /closed the connection while streaming/],
    [pgError('08006', 'connection failure'), ConnectionError, true, /closed the connection/],
    [pgError('42704', 'publication "logtap_x" does not exist'), SourceSetupError, false, /publication "logtap_x" does not exist — the publication was dropped, or created after/],
    [pgError('42704', 'replication slot "logtap_x" does not exist'), ConnectionError, true, /dropped while streaming/],
    [Object.assign(new Error('connect ECONNREFUSED 10.0.0.9:5433'), { code: 'ECONNREFUSED' }), ConnectionError, true, /^cannot reach PostgreSQL at db\.example:5433 while streaming: connection refused$/],
    [Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), ConnectionError, true, /connection reset/],
    [new Error('Connection terminated unexpectedly'), ConnectionError, true, /lost the connection to PostgreSQL at db\.example:5433\/shop while streaming/],
    [pgError('XX000', 'something internal', 'look here'), LogtapError, false, /failed while streaming: something internal \(SQLSTATE XX000\) \(hint: look here\)/],
  ];

  it.each(cases)('%s', (err, kind, retriable, message) => {
    const mapped = mapPgError(err, endpoint, 'streaming');
    expect(mapped).toBeInstanceOf(kind);
    expect(mapped.retriable).toBe(retriable);
    expect(mapped.message).toMatch(message);
    expect(mapped.message).not.toContain('\n');
    expect(mapped.cause).toBe(err);
  });

  it('passes LogtapErrors through', () => {
    const own = new PositionLostError('gone');
    expect(mapPgError(own, endpoint, 'streaming')).toBe(own);
  });

  it('never lets the password through, even when a message quotes the URL', () => {
    const err = new Error('could not parse postgres://app:S3cret-pw@db.example:5433/shop nor S3cret-pw alone');
    const mapped = mapPgError(err, endpoint, 'connecting');
    expect(mapped.message).not.toContain('S3cret-pw');
    expect(mapped.message).toContain('postgres://app:***@db.example');
    expect(scrub('pw=S3cret-pw', endpoint)).toBe('pw=***');
  });
});
