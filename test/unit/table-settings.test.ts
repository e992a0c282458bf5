import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load-config.js';
import { ConfigError } from '../../src/errors.js';
import { tableFilter, tablePattern } from '../../src/config/table-pattern.js';
import { tableSettingsFor } from '../../src/config/table-settings.js';
import { configuredShaper } from '../../src/columns/configured-shaper.js';
import { tableAvroSchemas } from '../../src/avro/table-avro-schema.js';
import type { TableSchema } from '../../src/model/table-schema.js';
import type { ChangeEvent } from '../../src/model/change-event.js';
import { columnsMentioned } from '../../connectors/postgres/captured-tables.js';
import { selectTables } from '../../connectors/mysql/table-selection.js';
import { renamedIntoSelection } from '../../connectors/mysql/binlog-reader.js';

const dir = mkdtempSync(join(tmpdir(), 'logtap-table-settings-'));
let n = 0;
const config = (extra: string) => {
  const path = join(dir, `c${n++}.yaml`);
  writeFileSync(path, `name: t\nsource:\n  url: postgres://u@127.0.0.1/db\nkafka:\n  brokers: [127.0.0.1:9092]\ntopicPrefix: p\n${extra}`);
  return loadConfig({ file: path, env: {} });
};
const errorOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
};

const users: TableSchema = {
  id: { namespace: 'public', name: 'users' },
  key: ['id'],
  columns: [
    { name: 'id', type: { kind: 'long' }, nullable: false, sourceType: 'bigint' },
    { name: 'email', type: { kind: 'string' }, nullable: false, sourceType: 'text', collation: '"C"' },
    { name: 'name', type: { kind: 'string' }, nullable: false, sourceType: 'varchar(40)' },
    { name: 'born', type: { kind: 'date' }, nullable: false, sourceType: 'date' },
    { name: 'secret', type: { kind: 'string' }, nullable: true, sourceType: 'text' },
  ],
};
const event = (after: Record<string, unknown>): ChangeEvent => ({ table: users, op: 'c', after, position: { token: 'x', display: 'x' }, snapshot: false });

describe('table patterns', () => {
  it('match within each part, exact names only themselves', () => {
    expect(tablePattern('public.*')!.matches({ namespace: 'public', name: 'orders' })).toBe(true);
    expect(tablePattern('public.*')!.matches({ namespace: 'publicx', name: 'orders' })).toBe(false);
    expect(tablePattern('shop.orders_*')!.matches({ namespace: 'shop', name: 'orders_2024' })).toBe(true);
    expect(tablePattern('shop.orders_*')!.matches({ namespace: 'shop', name: 'orders' })).toBe(false);
    expect(tablePattern('s?op.t')!.matches({ namespace: 'shop', name: 't' })).toBe(true);
    expect(tablePattern('shop.a.b')).toBeNull();
    expect(tablePattern('shop.t')!.isGlob).toBe(false);
  });

  it('a filter includes by pattern and excludes after', () => {
    const f = tableFilter(['public.*', 'shop.orders'], ['public.audit_*']);
    expect(f.captures({ namespace: 'public', name: 'users' })).toBe(true);
    expect(f.captures({ namespace: 'public', name: 'audit_2024' })).toBe(false);
    expect(f.captures({ namespace: 'shop', name: 'orders' })).toBe(true);
    expect(f.captures({ namespace: 'shop', name: 'items' })).toBe(false);
    expect(f.exactOnly).toBe(false);
    expect(tableFilter(['a.b']).exactOnly).toBe(true);
    expect(tableFilter(undefined, ['a.b']).captures({ namespace: 'x', name: 'y' })).toBe(true);
  });

  it('MySQL: globs and excluded tables select by pattern and read every database a glob may name', () => {
    const s = selectTables('shop', ['shop.orders_*'], ['shop.orders_old']);
    expect(s.tables).toBeUndefined();
    expect(s.captures('shop', 'orders_2024')).toBe(true);
    expect(s.captures('shop', 'orders_old')).toBe(false);
    expect(s.captures('other', 'orders_2024')).toBe(false);
    expect(s.binlogFilter).toEqual({ includeSchema: { shop: true } });
    expect(selectTables('shop', ['*.t']).binlogFilter.excludeSchema).toBeDefined();
    expect(selectTables('shop', undefined, ['shop.x']).captures('other', 'y')).toBe(false);
  });
});

describe('MySQL renames into a pattern', () => {
  const selection = selectTables('shop', ['shop.orders_*']);
  const t = (name: string) => ({ namespace: 'shop', name });
  it('name the tables moved from outside the selection into it', () => {
    expect(renamedIntoSelection('RENAME TABLE staging TO orders_x, orders_a TO orders_b', [t('staging'), t('orders_x'), t('orders_a'), t('orders_b')], selection)).toEqual([t('orders_x')]);
    expect(renamedIntoSelection('ALTER TABLE staging RENAME TO orders_y', [t('staging'), t('orders_y')], selection)).toEqual([t('orders_y')]);
    expect(renamedIntoSelection('CREATE TABLE orders_z (id int)', [t('orders_z')], selection)).toEqual([]);
    expect(renamedIntoSelection('ALTER TABLE orders_a ADD COLUMN x int', [t('orders_a')], selection)).toEqual([]);
  });
});

describe('per-table settings', () => {
  it('an exact key wins over globs, and the first matching glob over later ones', () => {
    const c = config(`tables:\n  'public.*':\n    columns: { exclude: [a] }\n  'public.u*':\n    columns: { exclude: [b] }\n  public.users:\n    columns: { exclude: [c] }\n`);
    expect(tableSettingsFor(c, 'public', 'users')?.columns?.exclude).toEqual(['c']);
    expect(tableSettingsFor(c, 'public', 'units')?.columns?.exclude).toEqual(['a']);
    expect(tableSettingsFor(c, 'other', 'users')).toBeUndefined();
  });

  it('refuses bad keys, include with exclude, unknown masks and fields', () => {
    expect(errorOf(() => config('tables:\n  users:\n    columns: { exclude: [a] }\n'))).toMatch(/^tables\.users in .*: expected namespace\.table/);
    expect(errorOf(() => config('tables:\n  public.t:\n    columns: { exclude: [a], include: [b] }\n'))).toMatch(/^tables\.public\.t\.columns in .*: give include or exclude, not both/);
    expect(errorOf(() => config('tables:\n  public.t:\n    columns: { mask: { a: scramble } }\n'))).toMatch(/^tables\.public\.t\.columns\.mask\.a in /);
    expect(errorOf(() => config('tables:\n  public.t:\n    colums: {}\n'))).toMatch(/colums/);
    const path = join(dir, 'exclude.yaml');
    writeFileSync(path, `name: t\nsource:\n  url: postgres://u@h/d\n  excludeTables: [public.audit_*]\nkafka:\n  brokers: [127.0.0.1:9092]\ntopicPrefix: p\n`);
    expect(loadConfig({ file: path, env: {} }).source.excludeTables).toEqual(['public.audit_*']);
  });

  it('a hash mask without its salt is one config error naming the variable', () => {
    const c = config(`tables:\n  public.users:\n    columns: { mask: { email: hash } }\nmasking: { saltEnv: MY_SALT }\n`);
    expect(errorOf(() => configuredShaper(c, {}))).toMatch(/environment variable MY_SALT \(masking\.saltEnv\).*not set/);
    expect(configuredShaper(c, { MY_SALT: 'pepper' })).not.toBeNull();
    expect(configuredShaper(config(''), {})).toBeNull();
  });
});

describe('column shaping', () => {
  const shaperFor = (columns: string) => configuredShaper(config(`tables:\n  public.users:\n    columns: ${columns}\n`), { LOGTAP_MASK_SALT: 'pepper' })!;

  it('leaves out excluded columns and masks values: hash = SHA-256 hex of salt + value, truncate, null', () => {
    const shaper = shaperFor('{ exclude: [secret], mask: { email: hash, name: { truncate: 3 }, born: "null" } }');
    const shaped = shaper.event(event({ id: 7n, email: 'ann@example.com', name: 'Annabel', born: 12_000, secret: 'hunter2' }));
    const expected = createHash('sha256').update('pepperann@example.com').digest('hex');
    expect(shaped.after).toEqual({ id: 7n, email: expected, name: 'Ann', born: null });
    expect(shaped.table.columns.map((c) => c.name)).toEqual(['id', 'email', 'name', 'born']);
    expect(shaper.event(event({ id: 1n, email: 'x', name: 'y', born: 1, secret: null })).table).toBe(shaped.table);
  });

  it('the Avro schema shows the masks: a hashed column is a string, a null-masked one nullable, the excluded one absent', () => {
    const shaper = shaperFor('{ exclude: [secret], mask: { email: hash, born: "null" } }');
    const fields = (tableAvroSchemas(shaper.table(users), 'p.public.users').value.schema as { fields: Array<Record<string, unknown>> }).fields;
    const field = (name: string) => fields.find((f) => f['logtap.column'] === name);
    expect(field('secret')).toBeUndefined();
    expect(field('email')).toMatchObject({ type: 'string', 'logtap.mask': 'hash', 'logtap.sourceType': 'text' });
    expect(field('email')!['logtap.collation']).toBeUndefined();
    expect(field('born')).toMatchObject({ type: ['null', { type: 'int', logicalType: 'date' }], 'logtap.mask': 'null' });
  });

  it('include keeps only the named columns', () => {
    expect(shaperFor('{ include: [id, name] }').event(event({ id: 1n, email: 'e', name: 'n', born: 1, secret: 's' })).after).toEqual({ id: 1n, name: 'n' });
  });

  it('refuses a key column left out or masked, and truncate on a non-string column, naming table and column', () => {
    expect(errorOf(() => shaperFor('{ exclude: [id] }').table(users))).toMatch(/column "id" of table public\.users is a key column/);
    expect(errorOf(() => shaperFor('{ include: [name] }').table(users))).toMatch(/column "id" of table public\.users is a key column.*add it to include/);
    expect(errorOf(() => shaperFor('{ mask: { id: hash } }').table(users))).toMatch(/column "id" of table public\.users is a key column .*cannot be masked/);
    expect(errorOf(() => shaperFor('{ mask: { born: { truncate: 2 } } }').table(users))).toMatch(/column "born" of table public\.users is date .*truncate masks only string columns/);
  });
});

describe('PostgreSQL row filters', () => {
  it('name the columns an expression reads, outside string literals', () => {
    expect(columnsMentioned(`region = 'eu' AND "Amount" > 5 AND id > 0`, ['id', 'region', 'Amount', 'eu'])).toEqual(['id', 'region', 'Amount']);
  });
});
