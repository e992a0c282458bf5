import { describe, expect, it } from 'vitest';
import { hostUrls, isMultiHost } from '../../connectors/postgres/pg-hosts.js';
import { endpointText, pgEndpoint } from '../../connectors/postgres/pg-endpoint.js';
import { configSchema } from '../../src/config/config-schema.js';

describe('a libpq-style multi-host source.url', () => {
  it('splits into one single-host URL per server, keeping user, password, database and parameters', () => {
    expect(hostUrls('postgres://u:p%40ss@db1:5432,db2:5433/shop?sslmode=require')).toEqual([
      'postgres://u:p%40ss@db1:5432/shop?sslmode=require',
      'postgres://u:p%40ss@db2:5433/shop?sslmode=require',
    ]);
    expect(hostUrls('postgresql://[::1]:5432,db2/shop')).toEqual(['postgresql://[::1]:5432/shop', 'postgresql://db2/shop']);
  });

  it('leaves a single-host URL alone', () => {
    expect(hostUrls('postgres://u@db1:5432/shop')).toEqual(['postgres://u@db1:5432/shop']);
    expect(isMultiHost('postgres://u@db1:5432/shop')).toBe(false);
    expect(isMultiHost('postgres://u@db1,db2/shop')).toBe(true);
  });

  it('names every host in messages, never the password', () => {
    const endpoint = pgEndpoint('postgres://u:secret@db1:5432,db2:5433/shop');
    expect(endpoint).toMatchObject({ host: 'db1,db2', port: '5432,5433', database: 'shop', user: 'u' });
    expect(endpointText(endpoint)).not.toContain('secret');
  });

  it('is refused for MySQL/MariaDB and with an empty host entry', () => {
    const base = { name: 'c1', kafka: { brokers: ['k:9092'] }, topicPrefix: 'p' };
    const issue = (url: string) => {
      const r = configSchema.safeParse({ ...base, source: { url } });
      return r.success ? null : r.error.issues[0]!.message;
    };
    expect(issue('postgres://u@db1:5432,db2:5433/shop')).toBeNull();
    expect(issue('mysql://u@db1:3306,db2:3306/shop')).toMatch(/PostgreSQL only/);
    expect(issue('postgres://u@db1,,db2/shop')).toMatch(/empty entry/);
  });
});
