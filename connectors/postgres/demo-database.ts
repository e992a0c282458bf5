import pg from 'pg';
import { closeQuietly } from './pg-client.js';
import { pgEndpoint } from './pg-endpoint.js';
import { mapPgError } from './pg-errors.js';
import { quoteIdent } from './pg-identifiers.js';
import { postgresObjectNames } from './postgres-connector.js';

/** The PostgreSQL side of `logtap demo` (src/cli/commands/demo.ts): a sample schema, a write workload, a replica. */
export interface DemoDatabase {
  /** `schema.customers` and `schema.orders`, as namespace.table names. */
  readonly tables: string[];
  /** (Re)creates the sample schema with its two empty tables. */
  prepare(): Promise<void>;
  /** Step `i` of the workload, one transaction; returns the row changes it made and what it did. */
  step(i: number): Promise<{ changes: number; did: string }>;
  /** A fresh database beside the source to rebuild the tables in; its URL. */
  createReplica(): Promise<string>;
  /** The rows of a table in the database at `url`, ordered by key. */
  rows(url: string, table: string): Promise<Record<string, unknown>[]>;
  /** Resolves once connector `name` streams from its slot (changes from then on are captured). */
  awaitSlot(name: string, signal: AbortSignal): Promise<void>;
  /** Drops the slot and publication a connector named `name` created (the demo leaves no WAL retained). */
  dropConnectorObjects(name: string): Promise<void>;
  close(): Promise<void>;
}

const CUSTOMERS = ['ada', 'grace', 'linus', 'margaret', 'ken'];

export async function openDemoDatabase(url: string, schema: string): Promise<DemoDatabase> {
  const endpoint = pgEndpoint(url);
  const connect = async (target: string) => {
    const client = new pg.Client({ connectionString: target, application_name: 'logtap:demo' });
    client.on('error', () => {});
    try {
      await client.connect();
    } catch (err) {
      await closeQuietly(client);
      throw mapPgError(err, pgEndpoint(target), 'connecting for the demo');
    }
    return client;
  };
  const sql = await connect(url);
  const s = quoteIdent(schema);
  const replicaName = `${schema}_replica`;
  const run = async <T extends pg.QueryResultRow>(text: string, values: unknown[] = []) => {
    try {
      return await sql.query<T>(text, values);
    } catch (err) {
      throw mapPgError(err, endpoint, 'running the demo workload');
    }
  };

  return {
    tables: [`${schema}.customers`, `${schema}.orders`],

    async prepare() {
      await run(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
      await run(`CREATE SCHEMA ${s}`);
      await run(`CREATE TABLE ${s}.customers (id int PRIMARY KEY, name text NOT NULL, email text)`);
      await run(`CREATE TABLE ${s}.orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES ${s}.customers, total numeric(10,2) NOT NULL, status text NOT NULL, placed_at timestamptz NOT NULL DEFAULT now())`);
    },

    async step(i) {
      if (i === 0) {
        const values = CUSTOMERS.map((name, n) => `(${n + 1}, '${name}', NULL)`).join(', ');
        await run(`INSERT INTO ${s}.customers VALUES ${values}`);
        return { changes: CUSTOMERS.length, did: `inserted ${CUSTOMERS.length} customers` };
      }
      const order = i;
      const customer = (i % CUSTOMERS.length) + 1;
      // Every step adds an order; some also move an older one along, or cancel one, in the same transaction.
      // A statement may change no row (an order cancelled earlier cannot ship): the count and the text say
      // what each statement changed, so the demo waits for exactly the events the source wrote.
      const statements: { sql: string; did: string }[] = [
        { sql: `INSERT INTO ${s}.orders (id, customer_id, total, status) VALUES (${order}, ${customer}, ${(order * 7.25).toFixed(2)}, 'new')`, did: `order ${order} for ${CUSTOMERS[customer - 1]}` },
      ];
      if (i % 3 === 0 && i > 1) statements.push({ sql: `UPDATE ${s}.orders SET status = 'shipped' WHERE id = ${order - 2}`, did: `order ${order - 2} shipped` });
      if (i % 5 === 0) statements.push({ sql: `DELETE FROM ${s}.orders WHERE id = ${order - 1}`, did: `order ${order - 1} cancelled` });
      if (i === 4) statements.push({ sql: `UPDATE ${s}.customers SET email = 'ada@example.org' WHERE id = 1`, did: 'ada\'s email set' });
      let changes = 0;
      const done: string[] = [];
      await run('BEGIN');
      try {
        for (const statement of statements) {
          const { rowCount } = await run(statement.sql);
          changes += rowCount ?? 0;
          if ((rowCount ?? 0) > 0) done.push(statement.did);
        }
        await run('COMMIT');
      } catch (err) {
        await sql.query('ROLLBACK').catch(() => {});
        throw err;
      }
      return { changes, did: done.join(', ') };
    },

    async createReplica() {
      await run(`DROP DATABASE IF EXISTS ${quoteIdent(replicaName)} WITH (FORCE)`);
      await run(`CREATE DATABASE ${quoteIdent(replicaName)}`);
      const replica = new URL(url);
      replica.pathname = `/${encodeURIComponent(replicaName)}`;
      return replica.toString();
    },

    async rows(target, table) {
      const client = target === url ? sql : await connect(target);
      try {
        const [namespace, name] = table.split('.') as [string, string];
        const { rows } = await client.query(`SELECT * FROM ${quoteIdent(namespace)}.${quoteIdent(name)} ORDER BY 1`);
        return rows;
      } finally {
        if (client !== sql) await closeQuietly(client);
      }
    },

    async awaitSlot(name, signal) {
      const { slot } = postgresObjectNames(name);
      while (!signal.aborted) {
        if ((await run('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND active', [slot])).rowCount) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },

    async dropConnectorObjects(name) {
      const { slot, publication } = postgresObjectNames(name);
      await run('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active', [slot]);
      await run(`DROP PUBLICATION IF EXISTS ${quoteIdent(publication)}`);
    },

    close: () => closeQuietly(sql),
  };
}
