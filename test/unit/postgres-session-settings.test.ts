import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { REQUIRED_SESSION_SETTINGS, sessionOptions, withSessionOptions } from '../../connectors/postgres/session-settings.js';

describe('session settings for the replication connection', () => {
  it('are written as libpq options', () => {
    expect(sessionOptions()).toBe(
      '-c DateStyle=ISO -c TimeZone=UTC -c IntervalStyle=iso_8601 -c extra_float_digits=3 -c bytea_output=hex -c lc_monetary=C -c client_encoding=UTF8',
    );
    expect(() => sessionOptions({ DateStyle: 'ISO, MDY' })).toThrow(/must not contain spaces/);
  });

  it('survive the connection string: pg reads them back as its `options`', () => {
    const url = withSessionOptions('postgres://u:p@localhost:5432/db?application_name=logtap&options=-c%20x%3Dy');
    const client = new pg.Client({ connectionString: url }) as pg.Client & { connectionParameters: { options?: string; application_name?: string } };
    expect(client.connectionParameters.options).toBe(sessionOptions(REQUIRED_SESSION_SETTINGS));
    expect(client.connectionParameters.application_name).toBe('logtap');
  });
});
