import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { mysqlEndpoint, parseMysqlSourceUrl, serverIdFor } from '../../connectors/mysql/mysql-source-url.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectTables } from '../../connectors/mysql/table-selection.js';

describe('MySQL source URL', () => {
  it('reads mysql:// and mariadb:// URLs with percent-encoded credentials', () => {
    expect(parseMysqlSourceUrl('mysql://app%40x:p%3Ass@db.example:3307/shop', 'orders')).toEqual({
      host: 'db.example', port: 3307, user: 'app@x', password: 'p:ss', database: 'shop',
      serverId: serverIdFor('orders'), heartbeatIntervalMs: 5000, where: 'db.example:3307',
    });
    expect(parseMysqlSourceUrl('mariadb://root@[::1]/', 'n')).toMatchObject({ host: '::1', port: 3306, password: '', database: '', where: '[::1]:3306' });
  });

  it('derives a stable server id from the connector name, within 100000 … 4000000000, overridable', () => {
    const ids = ['a', 'b', 'orders', 'orders-2', 'x'.repeat(100)].map(serverIdFor);
    for (const id of ids) {
      expect(Number.isInteger(id)).toBe(true);
      expect(id).toBeGreaterThanOrEqual(100_000);
      expect(id).toBeLessThanOrEqual(4_000_000_000);
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect(serverIdFor('orders')).toBe(serverIdFor('orders'));
    expect(parseMysqlSourceUrl('mysql://u:p@h/db?server_id=4242&heartbeat_interval_ms=250', 'orders')).toMatchObject({ serverId: 4242, heartbeatIntervalMs: 250 });
  });

  it.each([
    ['postgres://u:secret@h/db', 'not a mysql:// or mariadb:// URL'],
    ['mysql://u:secret@h/db?serverid=3', 'unknown parameter serverid (supported: server_id, heartbeat_interval_ms, ssl_mode, ssl_ca)'],
    ['mysql://u:secret@h/db?server_id=0', 'server_id must be an integer from 1 to 4294967295'],
    ['mysql://u:secret@h/db?server_id=1.5', 'server_id must be an integer'],
    ['mysql://u:secret@h/db?heartbeat_interval_ms=10', 'heartbeat_interval_ms must be an integer from 100'],
    ['mysql://u:secret@h/a/b', 'the path must be one database name'],
    ['not a url', 'is not a valid URL'],
  ])('refuses %s', (url, message) => {
    expect(() => parseMysqlSourceUrl(url, 'n')).toThrow(ConfigError);
    expect(() => parseMysqlSourceUrl(url, 'n')).toThrow(message);
    try {
      parseMysqlSourceUrl(url, 'n');
    } catch (err) {
      expect((err as Error).message).not.toContain('secret');
    }
  });
});

describe('MySQL source URL TLS parameters', () => {
  const base = 'mysql://u:p@db:3306/shop';
  const ca = join(mkdtempSync(join(tmpdir(), 'logtap-ca-')), 'ca.pem');
  writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nnot checked here\n-----END CERTIFICATE-----\n');

  it('opens plain connections by default', () => {
    expect(mysqlEndpoint(parseMysqlSourceUrl(base, 'c'))).toEqual({ host: 'db', port: 3306, user: 'u', password: 'p' });
  });

  it('encrypts without verifying for ssl_mode=required', () => {
    expect(mysqlEndpoint(parseMysqlSourceUrl(`${base}?ssl_mode=required`, 'c')).ssl).toEqual({ rejectUnauthorized: false });
  });

  it('verifies the chain (and the host name for verify_identity) against ssl_ca', () => {
    const identity = parseMysqlSourceUrl(`${base}?ssl_mode=verify_identity&ssl_ca=${encodeURIComponent(ca)}`, 'c').ssl!;
    expect(identity.rejectUnauthorized).toBe(true);
    expect(identity.ca).toContain('BEGIN CERTIFICATE');
    expect(identity.checkServerIdentity).toBeUndefined();
    const chainOnly = parseMysqlSourceUrl(`${base}?ssl_mode=verify_ca&ssl_ca=${encodeURIComponent(ca)}`, 'c').ssl!;
    expect(chainOnly.rejectUnauthorized).toBe(true);
    expect(chainOnly.checkServerIdentity?.()).toBeUndefined();
  });

  it('refuses an unknown mode, a CA without verification and an unreadable CA, without the password', () => {
    expect(() => parseMysqlSourceUrl(`${base}?ssl_mode=preferred`, 'c')).toThrow(/ssl_mode must be one of disabled, required, verify_ca, verify_identity \(got "preferred"\)/);
    expect(() => parseMysqlSourceUrl(`${base}?ssl_ca=${encodeURIComponent(ca)}`, 'c')).toThrow('ssl_ca needs ssl_mode=verify_ca or verify_identity');
    expect(() => parseMysqlSourceUrl(`mysql://u:s3cret@db/shop?ssl_mode=verify_ca&ssl_ca=/nope.pem`, 'c')).toThrow(ConfigError);
    expect(() => parseMysqlSourceUrl(`mysql://u:s3cret@db/shop?ssl_mode=verify_ca&ssl_ca=/nope.pem`, 'c')).not.toThrow(/s3cret/);
  });
});

describe('table selection', () => {
  it('captures the configured tables only, and filters the binlog to them', () => {
    const selection = selectTables('shop', ['shop.orders', 'crm.people', 'items']);
    expect(selection.tables).toEqual([
      { namespace: 'shop', name: 'orders' }, { namespace: 'crm', name: 'people' }, { namespace: 'shop', name: 'items' },
    ]);
    expect(selection.captures('shop', 'orders')).toBe(true);
    expect(selection.captures('shop', 'other')).toBe(false);
    expect(selection.captures('crm', 'people')).toBe(true);
    expect(selection.binlogFilter).toEqual({ includeSchema: { shop: ['orders', 'items'], crm: ['people'] } });
  });

  it('captures every table of the URL database by default, or of every non-system database without one', () => {
    const db = selectTables('shop', undefined);
    expect(db.captures('shop', 'anything')).toBe(true);
    expect(db.captures('crm', 'people')).toBe(false);
    expect(db.binlogFilter).toEqual({ includeSchema: { shop: true } });
    const all = selectTables('', undefined);
    expect(all.captures('crm', 'people')).toBe(true);
    expect(all.captures('mysql', 'user')).toBe(false);
    expect(all.binlogFilter.excludeSchema).toMatchObject({ mysql: true, sys: true });
  });

  it('needs a database for a table without one', () => {
    expect(() => selectTables('', ['orders'])).toThrow('expected database.table');
  });
});
