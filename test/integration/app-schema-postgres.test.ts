import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { CheckpointStore } from '../../src/kafka/checkpoint-store.js';
import { parseLsn } from '../../connectors/postgres/lsn.js';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';
import { waitFor } from '../helpers/wait.js';
import { type Daemon, startDaemon, waitStreaming, writeConfig } from '../helpers/daemon.js';
import { dropConnectorObjects } from '../helpers/pg-connector-objects.js';
import { latestSchemaTable } from '../helpers/latest-schema-table.js';
import { readTopicAsTable } from '../helpers/topic-table.js';
import { runLogtap } from '../helpers/logtap-cli.js';

/*
 * An application-style PostgreSQL schema — a non-public schema, an enum, a domain, serial and identity keys, a
 * declarative partitioned table, foreign keys with cascades, triggers, a keyless partitioned ledger under REPLICA
 * IDENTITY FULL, arrays, tsvector, ranges, a generated column, JSON, a TOASTed picture — captured by `logtap run`
 * with the DEFAULT config (no table list), migrated while it streams with the DDL applications run (added columns
 * with constant and volatile defaults, a retype with USING), then rebuilt by `logtap replay --verify` into an EMPTY
 * database: equal, and the daemon never stopped. The topics are also read as a consumer with only the latest schema
 * would: each table is its compacted topic.
 */

const bed = testBed();
const admin = new pg.Client({ connectionString: bed.pgUrl });
const kafka = createKafka({ brokers: bed.kafkaBrokers }, 'test');
const name = uniqueName('app');
const prefix = uniqueName('app');
const sourceDb = uniqueName('app_src');
const targetDb = uniqueName('app_dst');
const dbUrl = (database: string): string => {
  const url = new URL(bed.pgUrl);
  url.pathname = `/${database}`;
  return url.toString();
};
let sql: pg.Client;
let configFile = '';
let daemon: Daemon | undefined;

/** Every table of the application, with the columns that order its rows (its key, or every column when keyless). */
const TABLES = ['shop.customer', 'shop.product', 'shop.orders', 'shop.order_line', 'shop.audit', 'shop.ledger', 'public.setting'];

const SCHEMA = `
CREATE SCHEMA shop;
CREATE TYPE shop.order_status AS ENUM ('new', 'paid', 'shipped', 'cancelled');
CREATE DOMAIN shop.email AS text CHECK (VALUE LIKE '%@%');
CREATE TABLE shop.customer (
  id serial PRIMARY KEY,
  email shop.email NOT NULL UNIQUE,
  name text NOT NULL,
  tags text[] NOT NULL DEFAULT '{}',
  profile jsonb,
  search tsvector GENERATED ALWAYS AS (to_tsvector('simple', name)) STORED,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz
);
CREATE FUNCTION shop.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at := clock_timestamp(); RETURN NEW; END $$;
CREATE TRIGGER customer_touch BEFORE UPDATE ON shop.customer FOR EACH ROW EXECUTE FUNCTION shop.touch();
CREATE TABLE shop.product (
  sku text PRIMARY KEY,
  title text NOT NULL,
  price numeric(10,2) NOT NULL CHECK (price >= 0),
  stock int NOT NULL DEFAULT 0,
  available int4range,
  picture bytea
);
CREATE TABLE shop.audit (at timestamptz NOT NULL DEFAULT clock_timestamp(), what text NOT NULL, row_data jsonb);
ALTER TABLE shop.audit REPLICA IDENTITY FULL;
CREATE FUNCTION shop.audit_product() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO shop.audit (what, row_data) VALUES (TG_OP, to_jsonb(COALESCE(NEW, OLD)) - 'picture'); RETURN NULL; END $$;
CREATE TRIGGER product_audit AFTER INSERT OR UPDATE OR DELETE ON shop.product FOR EACH ROW EXECUTE FUNCTION shop.audit_product();
CREATE TABLE shop.orders (
  id bigint GENERATED ALWAYS AS IDENTITY,
  placed_on date NOT NULL,
  customer_id int NOT NULL REFERENCES shop.customer ON DELETE CASCADE ON UPDATE CASCADE,
  status shop.order_status NOT NULL DEFAULT 'new',
  total numeric(12,2) NOT NULL,
  PRIMARY KEY (id, placed_on)
) PARTITION BY RANGE (placed_on);
CREATE TABLE shop.orders_2025 PARTITION OF shop.orders FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE shop.orders_2026 PARTITION OF shop.orders FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TABLE shop.order_line (
  order_id bigint NOT NULL,
  placed_on date NOT NULL,
  line int NOT NULL,
  sku text NOT NULL REFERENCES shop.product ON UPDATE CASCADE,
  qty int NOT NULL CHECK (qty > 0),
  PRIMARY KEY (order_id, placed_on, line),
  FOREIGN KEY (order_id, placed_on) REFERENCES shop.orders ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE TABLE shop.ledger (account int NOT NULL, amount numeric(12,2) NOT NULL, booked date NOT NULL) PARTITION BY RANGE (booked);
CREATE TABLE shop.ledger_h1 PARTITION OF shop.ledger FOR VALUES FROM ('2026-01-01') TO ('2026-07-01');
CREATE TABLE shop.ledger_h2 PARTITION OF shop.ledger FOR VALUES FROM ('2026-07-01') TO ('2027-01-01');
-- As logtap check asks: every partition (they log the old row) and the root (pgoutput sends it as the root's says).
ALTER TABLE shop.ledger REPLICA IDENTITY FULL;
ALTER TABLE shop.ledger_h1 REPLICA IDENTITY FULL;
ALTER TABLE shop.ledger_h2 REPLICA IDENTITY FULL;
CREATE TABLE public.setting (key text PRIMARY KEY, value jsonb NOT NULL);
`;

/** A picture PostgreSQL stores out of line (incompressible, > 2 kB). */
const PICTURE = `decode((SELECT string_agg(md5(i::text || random()::text), '') FROM generate_series(1, 800) i), 'hex')`;

const SEED = `
INSERT INTO shop.customer (email, name, tags, profile) SELECT 'c' || i || '@example.org', 'customer ' || i, ARRAY['t' || (i % 3)], jsonb_build_object('n', i, 'vip', i % 7 = 0) FROM generate_series(1, 40) i;
INSERT INTO shop.product (sku, title, price, stock, available, picture) SELECT 'sku-' || i, 'product ' || i, i * 1.25, i, int4range(i, i + 10), CASE WHEN i <= 3 THEN ${PICTURE} END FROM generate_series(1, 20) i;
INSERT INTO shop.orders (placed_on, customer_id, status, total) SELECT date '2025-06-01' + (i * 5), 1 + (i % 40), 'paid', i * 3.5 FROM generate_series(1, 60) i;
INSERT INTO shop.order_line SELECT o.id, o.placed_on, l, 'sku-' || (1 + (o.id + l) % 20), l FROM shop.orders o, generate_series(1, 2) l;
INSERT INTO shop.ledger SELECT 1 + (i % 5), i * 10.01, date '2026-01-01' + (i * 3) FROM generate_series(1, 100) i;
INSERT INTO shop.ledger SELECT 1, 5.00, date '2026-02-02' FROM generate_series(1, 3);
INSERT INTO public.setting VALUES ('theme', '"dark"'), ('limits', '{"max": 5}');
`;

const replay = (args: string[]) => runLogtap(['replay', '--config', configFile, ...args], { timeoutMs: 300_000 });

/** A table's rows as JSON text, in the order of their text: the same multiset gives the same text. */
async function rowsOf(client: pg.Client, table: string): Promise<string> {
  const { rows } = await client.query(`SELECT coalesce(json_agg(to_jsonb(x) ORDER BY to_jsonb(x)::text), '[]')::text AS rows FROM ${table} x`);
  return (rows[0] as { rows: string }).rows;
}

async function waitCheckpointed(): Promise<void> {
  const { rows: [end] } = await sql.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
  const checkpoints = new CheckpointStore(kafka, prefix, name);
  await waitFor('the changes to be checkpointed', async () => {
    if (daemon?.child.exitCode !== null) throw new Error(`the daemon stopped: ${daemon?.log().slice(-3000)}`);
    const token = (await checkpoints.load())?.position.token ?? '';
    const complete = /^pg1:([0-9A-F]+\/[0-9A-F]+)$/i.exec(token)?.[1];
    return complete && parseLsn(complete) >= parseLsn(end!.lsn) ? true : undefined;
  }, 120_000, 300);
}

beforeAll(async () => {
  await admin.connect();
  await admin.query(`CREATE DATABASE ${sourceDb}`);
  await admin.query(`CREATE DATABASE ${targetDb}`);
  sql = new pg.Client({ connectionString: dbUrl(sourceDb) });
  await sql.connect();
  await sql.query(SCHEMA);
  await sql.query(SEED);
  // The default config: no table list, no signal table, nothing optional.
  configFile = writeConfig({ name, source: { url: dbUrl(sourceDb) }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix });
}, 120_000);

afterAll(async () => {
  daemon?.child.kill('SIGKILL');
  await sql?.end().catch(() => {});
  await dropConnectorObjects(admin, name).catch(() => {});
  for (const database of [sourceDb, targetDb]) await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {});
  await admin.end();
});

describe('an application schema on PostgreSQL, captured with the default config and migrated while streaming', () => {
  it('logtap check finds nothing that blocks streaming', async () => {
    const { stdout } = await runLogtap(['check', '--config', configFile], { logLevel: 'silent' });
    expect(stdout).not.toMatch(/^error/m);
  }, 60_000);

  it('streams through the migrations without stopping; replay --verify into an empty database rebuilds every table equal', async () => {
    daemon = startDaemon(configFile);
    await waitStreaming(daemon, 120_000);

    // Ordinary traffic, then each migration followed by more traffic.
    await sql.query(`UPDATE shop.customer SET name = 'renamed ' || id WHERE id % 4 = 0`);
    await sql.query(`UPDATE shop.product SET title = 'on sale' WHERE sku IN ('sku-1', 'sku-2')`); // TOASTed pictures unchanged
    await sql.query(`UPDATE shop.orders SET placed_on = date '2026-03-01' WHERE id IN (3, 4)`); // moves partitions; lines follow by cascade
    await sql.query(`DELETE FROM shop.customer WHERE id IN (5, 6)`); // cascades to orders and lines
    await sql.query(`UPDATE shop.ledger SET amount = amount + 1 WHERE account = 2`);
    await sql.query(`DELETE FROM shop.ledger WHERE ctid = (SELECT ctid FROM shop.ledger WHERE account = 1 AND amount = 5.00 LIMIT 1)`); // one of three duplicates

    await sql.query(`ALTER TABLE shop.customer ADD COLUMN channel text NOT NULL DEFAULT 'web'`);
    await sql.query(`INSERT INTO shop.customer (email, name, channel) VALUES ('new1@example.org', 'new one', 'app')`);
    await sql.query(`ALTER TABLE shop.product ADD COLUMN points int DEFAULT 10`);
    await sql.query(`UPDATE shop.product SET points = 20 WHERE sku = 'sku-7'`);
    await sql.query(`ALTER TABLE public.setting ADD COLUMN ref uuid NOT NULL DEFAULT gen_random_uuid()`); // rewrites every row
    await sql.query(`UPDATE shop.customer SET tags = array_append(tags, 'x') WHERE id = 1`);
    await sql.query(`ALTER TABLE shop.product ALTER COLUMN stock TYPE bigint USING stock * 10`); // rewrites every row's value
    await sql.query(`UPDATE shop.product SET stock = stock + 1 WHERE sku = 'sku-3'`);
    await sql.query(`INSERT INTO public.setting VALUES ('late', 'null')`);
    await sql.query(`TRUNCATE shop.ledger`);
    await sql.query(`INSERT INTO shop.ledger VALUES (9, 1.00, date '2026-08-08'), (9, 1.00, date '2026-08-08')`);

    await waitCheckpointed();
    // Re-published rows (after a rewriting DDL) arrive through backfill windows: wait until the topic is the table
    // (each record read with its own writer schema, as logtap's tools read them).
    await waitFor('the re-published table to equal its topic', async () => {
      if (daemon?.child.exitCode !== null) throw new Error(`the daemon stopped: ${daemon?.log().slice(-3000)}`);
      const { table: setting } = await readTopicAsTable(kafka, prefix, `${prefix}.public.setting`, (k) => String(k.key));
      const { rows } = await sql.query<{ key: string; ref: string }>('SELECT key, ref::text FROM public.setting');
      return rows.length === setting.size && rows.every((r) => setting.get(r.key)?.ref === r.ref) ? true : undefined;
    }, 120_000, 1000);
    expect(daemon.child.exitCode).toBeNull();

    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);

    const result = await replay(['--target', dbUrl(targetDb), '--verify']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    for (const table of TABLES) expect(result.stdout).toMatch(new RegExp(`^equal ${table.replace('.', '\\.')}:`, 'm'));
    const target = new pg.Client({ connectionString: dbUrl(targetDb) });
    await target.connect();
    try {
      for (const table of TABLES) expect(await rowsOf(target, table), table).toBe(await rowsOf(sql, table));
      // The definitions too: column order, types (the retyped stock included), nullability.
      const columns = async (client: pg.Client) => (await client.query(
        `SELECT table_schema || '.' || table_name AS t, column_name, data_type, numeric_precision, numeric_scale, is_nullable
         FROM information_schema.columns WHERE table_schema || '.' || table_name = ANY($1) ORDER BY 1, ordinal_position`, [TABLES])).rows;
      expect(await columns(target)).toEqual(await columns(sql));
    } finally {
      await target.end();
    }
  }, 600_000);

  // The tables whose changes are compatible ones: a resynced table's new version may not read its older records (a
  // NOT NULL column with a volatile default), which the re-published records replace (docs/schema-changes.md).
  it('a consumer that knows only the latest schema reads the tables from their topics, old rows with the added columns\' defaults', async () => {
    const customer = await latestSchemaTable(kafka, prefix, `${prefix}.shop.customer`);
    const { rows: customers } = await sql.query<{ id: number; channel: string; name: string }>('SELECT id, channel, name FROM shop.customer');
    expect(customer.size).toBe(customers.length);
    for (const row of customers) expect(customer.get(String(row.id)), `customer ${row.id}`).toMatchObject({ channel: row.channel, name: row.name });

    const product = await latestSchemaTable(kafka, prefix, `${prefix}.shop.product`);
    const { rows: products } = await sql.query<{ sku: string; points: number | null; stock: string }>('SELECT sku, points, stock::text FROM shop.product');
    expect(product.size).toBe(products.length);
    for (const row of products) expect(product.get(row.sku), row.sku).toMatchObject({ points: row.points, stock: BigInt(row.stock) });
  }, 120_000);
});
