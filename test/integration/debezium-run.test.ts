import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import mysql from 'mysql2/promise';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { SchemaTopic } from '../../src/kafka/schema-topic.js';
import { CheckpointStore } from '../../src/kafka/checkpoint-store.js';
import { readTopicToEnd } from '../../src/kafka/read-to-end.js';
import type { SchemaEntry } from '../../src/schema/schema-catalog.js';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';
import { waitFor } from '../helpers/wait.js';
import { type Daemon, startDaemon, waitStreaming, writeConfig } from '../helpers/daemon.js';
import { dropConnectorObjects, connectorObjectPattern } from '../helpers/pg-connector-objects.js';
import { avroJavaClasspath, avroJavaDecode } from '../helpers/avro-java.js';

/**
 * `logtap run` with `envelope: debezium` publishes; Apache Avro Java decodes every key and Envelope with its
 * writer schema (from the schema topic) and reads the Connect attributes (connect.name, connect.version,
 * connect.parameters, connect.type) off the schema it parsed, as a Debezium consumer's deserializer sees them.
 */

const bed = testBed();
const kafka = createKafka({ brokers: bed.kafkaBrokers }, 'test');

/**
 * A small Java program (run as a single source file on Avro Java's classpath): for each writer schema,
 * the Envelope's and its parts' Connect attributes, and per Value field the attributes of its non-null type.
 */
const PROPS_JAVA = `
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.avro.Schema;

public class DebeziumProps {
  static final ObjectMapper M = new ObjectMapper();
  static Schema nonNull(Schema s) {
    if (s.getType() != Schema.Type.UNION) return s;
    for (Schema t : s.getTypes()) if (t.getType() != Schema.Type.NULL) return t;
    return s;
  }
  static ObjectNode props(Schema s) {
    ObjectNode o = M.createObjectNode();
    o.put("type", s.getType().getName());
    if (s.getType() == Schema.Type.RECORD) o.put("fullName", s.getFullName());
    for (String p : new String[] {"connect.name", "connect.version", "connect.parameters", "connect.type", "connect.doc"}) {
      Object v = s.getObjectProp(p);
      if (v != null) o.set(p, M.valueToTree(v));
    }
    if (s.getLogicalType() != null) o.put("logicalType", s.getLogicalType().getName());
    return o;
  }
  public static void main(String[] args) throws Exception {
    JsonNode job = M.readTree(System.in);
    var out = M.createArrayNode();
    for (JsonNode text : job.get("schemas")) {
      Schema envelope = new Schema.Parser().parse(text.toString());
      ObjectNode o = props(envelope);
      Schema value = nonNull(envelope.getField("before").schema());
      o.set("value", props(value));
      o.set("source", props(envelope.getField("source").schema()));
      o.set("transaction", props(nonNull(envelope.getField("transaction").schema())));
      ObjectNode fields = M.createObjectNode();
      for (Schema.Field f : value.getFields()) fields.set(f.name(), props(nonNull(f.schema())));
      o.set("fields", fields);
      out.add(o);
    }
    System.out.print(M.writeValueAsString(out));
  }
}
`;

/** The Connect attributes Avro Java finds in Envelope schemas. */
async function javaConnectProps(envelopes: unknown[]): Promise<any[]> {
  const cp = await avroJavaClasspath();
  const dir = mkdtempSync(join(tmpdir(), 'logtap-dbz-props-'));
  const file = join(dir, 'DebeziumProps.java');
  writeFileSync(file, PROPS_JAVA);
  return new Promise((done, fail) => {
    const child = spawn('java', ['-cp', cp, file], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.once('close', (code) => (code === 0 ? done(JSON.parse(stdout) as any[]) : fail(new Error(`DebeziumProps failed (${code}): ${stderr.slice(-1000)}`))));
    child.stdin.end(JSON.stringify({ schemas: envelopes }));
  });
}

interface Published {
  entries: SchemaEntry[];
  messages: Array<{ key: Buffer | null; value: Buffer | null }>;
}

async function readPublished(prefix: string, topic: string): Promise<Published> {
  const entries = (await new SchemaTopic(kafka, prefix).readAll()) ?? [];
  const messages: Published['messages'] = [];
  await readTopicToEnd(kafka, topic, ({ message }) => {
    messages.push({ key: message.key, value: message.value });
  });
  return { entries, messages };
}

/** Every key and non-null value decoded by Avro Java, in offset order: [key, value | null]. */
async function decodeWithJava({ entries, messages }: Published): Promise<Array<[any, any]>> {
  const records = messages.flatMap((m) => [m.key, m.value]).filter((b): b is Buffer => b !== null);
  const decoded = await avroJavaDecode(entries.map((e) => e.schema as object), records);
  let i = 0;
  return messages.map((m) => [m.key === null ? null : decoded[i++], m.value === null ? null : decoded[i++]]);
}

/**
 * Once streaming: the initial snapshot of the (empty) tables has finished, so the changes that follow are
 * streamed (`c`), not read by the snapshot (`r`). A build without snapshots logs none: then 3 s of quiet do.
 */
async function waitSnapshotDone(daemon: Daemon): Promise<void> {
  const since = Date.now();
  await waitFor('the initial snapshot to finish', () => {
    const log = daemon.log();
    if (/"msg":"snapshot finished"/.test(log)) return true;
    return !/"msg":"snapshot started"/.test(log) && Date.now() - since > 3000 ? true : undefined;
  }, 60_000);
}

const named = (name: string, type: string, extra: Record<string, unknown> = {}) => ({ type, 'connect.name': name, 'connect.version': 1, ...extra });

describe('logtap run with envelope: debezium', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c().catch(() => {});
  });

  describe('PostgreSQL', () => {
    const sql = new pg.Client({ connectionString: bed.pgUrl });
    beforeAll(() => sql.connect());
    afterAll(() => sql.end());

    it('publishes Debezium\'s Key and Envelope records that Avro Java decodes, with Debezium\'s semantic type names and values', async () => {
      const name = uniqueName('dbz');
      const prefix = uniqueName('dbzp');
      const table = uniqueName('items');
      const mood = uniqueName('mood');
      await sql.query(`CREATE TYPE ${mood} AS ENUM ('happy', 'sad')`);
      await sql.query(`CREATE TABLE ${table} (id bigint PRIMARY KEY, small smallint NOT NULL, price numeric(12,2), amount numeric, doc jsonb, u uuid,
        day date, t3 time(3), ts timestamp, tstz timestamptz, iv interval, vb bit varying(8), m ${mood}, tags text[], cash money, pt point)`);
      await sql.query(`ALTER TABLE ${table} REPLICA IDENTITY FULL`);
      // PostgreSQL's default replica identity: a delete carries the key columns only.
      const keyed = `${table}_keyed`;
      await sql.query(`CREATE TABLE ${keyed} (id bigint PRIMARY KEY, n int NOT NULL, s text NOT NULL, s2 text, ts timestamp(6) NOT NULL, tstz timestamptz NOT NULL,
        d date NOT NULL, num numeric(10,2) NOT NULL, vnum numeric NOT NULL, b boolean NOT NULL, j jsonb NOT NULL, u uuid NOT NULL, f float8 NOT NULL, by bytea NOT NULL, arr int[] NOT NULL)`);
      cleanup.push(() => sql.query(`DROP TABLE ${table}; DROP TABLE ${keyed}; DROP TYPE ${mood}`));
      const daemon = startDaemon(writeConfig({ name, source: { url: bed.pgUrl, tables: [`public.${table}`, `public.${keyed}`] }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix, envelope: 'debezium' }));
      cleanup.push(async () => { daemon.child.kill('SIGKILL'); await daemon.exited; await dropConnectorObjects(sql, name); });
      await waitStreaming(daemon);
      await waitFor('the slot', async () => ((await sql.query('SELECT 1 FROM pg_replication_slots WHERE slot_name LIKE $1 AND active', [connectorObjectPattern(name)])).rowCount ? true : undefined));
      await waitSnapshotDone(daemon);

      const { rows: [walBefore] } = await sql.query<{ lsn: string }>('SELECT (pg_current_wal_insert_lsn() - \'0/0\')::text AS lsn');
      await sql.query(`INSERT INTO ${table} VALUES (1, -32768, 19.99, 1.500, '{"a": [1, 2.50]}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '2020-06-20',
        '12:34:56.789', '2018-06-20 15:13:16.945104', '2020-06-20 12:17:03.000001+00', '1 year 2 mons 3 days 04:05:06.789', B'101', 'sad', ARRAY['a', NULL], 12.34, '(1.5,-2)')`);
      const { rows: [walAfter] } = await sql.query<{ lsn: string }>('SELECT (pg_current_wal_insert_lsn() - \'0/0\')::text AS lsn');
      await sql.query(`UPDATE ${table} SET small = 7 WHERE id = 1`);
      await sql.query(`INSERT INTO ${keyed} VALUES (1, 5, 'x', 'y', '2020-01-01 00:00:00.123456', '2020-01-01 00:00:00.123456+00', '2020-01-02', 1.50, 2.5, true, '{"a":1}',
        'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 1.5, '\\x01', '{1,2}')`);
      await sql.query(`UPDATE ${keyed} SET n = 6 WHERE id = 1`);
      await sql.query(`DELETE FROM ${keyed} WHERE id = 1`);
      await sql.query(`DELETE FROM ${table} WHERE id = 1`);
      // The insert position: the write position can lag behind commits (synchronous_commit off).
      const { rows: [end] } = await sql.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
      await waitFor('the changes to be released', async () => ((await sql.query('SELECT 1 FROM pg_replication_slots WHERE slot_name LIKE $1 AND confirmed_flush_lsn >= $2::pg_lsn', [connectorObjectPattern(name), end!.lsn])).rowCount ? true : undefined), 60_000);
      daemon.child.kill('SIGTERM');
      expect((await daemon.exited).code).toBe(0);

      const topic = `${prefix}.public.${table}`;
      const published = await readPublished(prefix, topic);
      const decoded = await decodeWithJava(published);
      const db = (await sql.query<{ db: string }>('SELECT current_database() AS db')).rows[0]!.db;
      const after = {
        id: '1', small: -32768, price: '19.99', amount: { scale: 1, value: '0f' }, doc: '{"a": [1, 2.50]}', u: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
        day: 18433, t3: 45296789, ts: '1529507596945104', tstz: '2020-06-20T12:17:03.000001Z', iv: '37091106789000', vb: '05', m: 'sad',
        tags: ['a', null], cash: '12.34', pt: { x: '1.5', y: '-2.0', wkb: '0101000000000000000000f83f00000000000000c0', srid: null },
      };
      // insert, update, delete + tombstone: Debezium's four records for these three changes.
      expect(decoded.map(([key, value]) => [key, value?.op ?? null])).toEqual([[{ id: '1' }, 'c'], [{ id: '1' }, 'u'], [{ id: '1' }, 'd'], [{ id: '1' }, null]]);
      const [insert, update, remove] = decoded.map(([, value]) => value);
      expect(insert).toMatchObject({ before: null, after, transaction: null });
      expect(update).toMatchObject({ before: after, after: { ...after, small: 7 } });
      expect(remove).toMatchObject({ before: { ...after, small: 7 }, after: null });
      expect(insert.source).toMatchObject({ connector: 'postgresql', name: prefix, db, schema: 'public', table, snapshot: 'false' });
      expect(insert.source.txId).toMatch(/^\d+$/);
      // The insert's own WAL record, and Debezium's sequence [last commit's end, lsn].
      expect(BigInt(insert.source.lsn)).toBeGreaterThanOrEqual(BigInt(walBefore!.lsn));
      expect(BigInt(insert.source.lsn)).toBeLessThan(BigInt(walAfter!.lsn));
      expect(JSON.parse(insert.source.sequence)).toEqual([expect.toSatisfy((v: unknown) => v === null || /^\d+$/.test(v as string)), insert.source.lsn]);
      expect(BigInt(remove.source.lsn)).toBeGreaterThan(BigInt(update.source.lsn));
      expect(BigInt(JSON.parse(remove.source.sequence)[0])).toBeGreaterThan(BigInt(insert.source.lsn));

      // Without the old row (default replica identity), as Debezium 3.2.0 writes it (read off its own records): an
      // update's before is null; a delete's has the key, NOT NULL columns at their placeholders, nullable ones null.
      const keyedTopic = `${prefix}.public.${keyed}`;
      const keyedDecoded = await decodeWithJava(await readPublished(prefix, keyedTopic));
      expect(keyedDecoded.map(([, value]) => value?.op ?? null)).toEqual(['c', 'u', 'd', null]);
      expect(keyedDecoded[1]![1].before).toBeNull();
      expect(keyedDecoded[2]![1].before).toEqual({
        id: '1', n: 0, s: '', s2: null, ts: '0', tstz: '1970-01-01T00:00:00Z', d: 0, num: '0.00', vnum: { scale: 0, value: '00' }, b: false, j: '', u: '',
        f: '0.0', by: '', arr: [],
      });
      expect(BigInt(insert.source.ts_us) / 1000n).toBe(BigInt(insert.source.ts_ms));

      const envelopes = published.entries.filter((e) => e.subject === `${topic}-value`).map((e) => e.schema);
      expect(envelopes).toHaveLength(1);
      const [props] = await javaConnectProps(envelopes);
      const ns = `${prefix}.public.${table}`;
      expect(props).toMatchObject({
        fullName: `${ns}.Envelope`, 'connect.name': `${ns}.Envelope`, 'connect.version': 2,
        value: { fullName: `${ns}.Value`, 'connect.name': `${ns}.Value` },
        source: { fullName: 'io.debezium.connector.postgresql.Source', 'connect.name': 'io.debezium.connector.postgresql.Source', 'connect.version': 1 },
        transaction: { fullName: 'event.block', 'connect.name': 'event.block', 'connect.version': 1 },
      });
      expect(props.fields).toEqual({
        id: { type: 'long' },
        small: { type: 'int', 'connect.type': 'int16' },
        price: { type: 'bytes', 'connect.name': 'org.apache.kafka.connect.data.Decimal', 'connect.version': 1, 'connect.parameters': { scale: '2', 'connect.decimal.precision': '12' }, logicalType: 'decimal' },
        amount: { type: 'record', fullName: 'io.debezium.data.VariableScaleDecimal', 'connect.name': 'io.debezium.data.VariableScaleDecimal', 'connect.version': 1, 'connect.doc': 'Variable scaled decimal' },
        doc: named('io.debezium.data.Json', 'string'),
        u: named('io.debezium.data.Uuid', 'string'),
        day: named('io.debezium.time.Date', 'int'),
        t3: named('io.debezium.time.Time', 'int'),
        ts: named('io.debezium.time.MicroTimestamp', 'long'),
        tstz: named('io.debezium.time.ZonedTimestamp', 'string'),
        iv: named('io.debezium.time.MicroDuration', 'long'),
        vb: named('io.debezium.data.Bits', 'bytes', { 'connect.parameters': { length: '8' } }),
        m: named('io.debezium.data.Enum', 'string', { 'connect.parameters': { allowed: 'happy,sad' } }),
        tags: { type: 'array' },
        cash: { type: 'bytes', 'connect.name': 'org.apache.kafka.connect.data.Decimal', 'connect.version': 1, 'connect.parameters': { scale: '2' }, logicalType: 'decimal' },
        pt: { type: 'record', fullName: 'io.debezium.data.geometry.Point', 'connect.name': 'io.debezium.data.geometry.Point', 'connect.version': 1, 'connect.doc': 'Geometry (POINT)' },
      });
      expect((await new CheckpointStore(kafka, prefix, name).load())?.position.token).toMatch(/^pg1:/);
    }, 180_000);
  });

  describe('MariaDB', () => {
    const base = new URL(bed.mysqlUrl);
    let sql: mysql.Connection;
    beforeAll(async () => {
      sql = await mysql.createConnection({ host: base.hostname, port: Number(base.port), user: decodeURIComponent(base.username), password: decodeURIComponent(base.password), multipleStatements: true });
    });
    afterAll(() => sql.end());

    it('publishes the MySQL connector\'s types and source block', async () => {
      const name = uniqueName('dbzm');
      const prefix = uniqueName('dbzmp');
      const db = uniqueName('dbzshop');
      await sql.query(`CREATE DATABASE ${db}; CREATE TABLE ${db}.things (id INT UNSIGNED PRIMARY KEY, tiny TINYINT NOT NULL, bu BIGINT UNSIGNED, dec_ DECIMAL(10,3),
        dt DATETIME, dt6 DATETIME(6), ts TIMESTAMP(6) NULL, tm TIME(6), y YEAR, e ENUM('small','large'), s SET('a','b','c'), b10 BIT(10), g GEOMETRY, p POINT, name VARCHAR(20))`);
      cleanup.push(() => sql.query(`DROP DATABASE ${db}`));
      const daemon = startDaemon(writeConfig({ name, source: { url: `${bed.mysqlUrl.replace(/\/[^/]*$/, '')}/${db}`, tables: [`${db}.things`] }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix, envelope: 'debezium', heartbeatIntervalMs: 500 }));
      cleanup.push(async () => { daemon.child.kill('SIGKILL'); await daemon.exited; });
      await waitStreaming(daemon);
      await waitSnapshotDone(daemon);
      const [[binlogStart]] = await sql.query('SHOW MASTER STATUS') as unknown as [[{ File: string; Position: number }]];
      await sql.query(`SET time_zone = '+00:00'; INSERT INTO ${db}.things VALUES (4294967295, -128, 18446744073709551615, -1234567.891, '2018-06-20 06:37:03', '2018-06-20 06:37:03.000001',
        '2018-06-20 06:37:03.5', '-838:59:59', 2155, 'large', 'a,c', b'0000000101', ST_GeomFromText('POINT(1 2)'), ST_GeomFromText('POINT(3 4)', 4326), 'x')`);
      const [[{ pos }]] = await sql.query('SELECT @@gtid_binlog_pos AS pos') as unknown as [[{ pos: string }]];
      const seq = Number(pos.split('-').at(-1));
      const checkpoints = new CheckpointStore(kafka, prefix, name);
      await waitFor('the insert to be checkpointed', async () => {
        const token = (await checkpoints.load())?.position.token ?? '';
        const at = Number(/gtid=\d+-\d+-(\d+)/.exec(token)?.[1] ?? -1);
        return at >= seq && !token.includes(';in=') ? true : undefined;
      }, 60_000, 300);
      daemon.child.kill('SIGTERM');
      expect((await daemon.exited).code).toBe(0);

      const topic = `${prefix}.${db}.things`;
      const published = await readPublished(prefix, topic);
      const [key, insert] = (await decodeWithJava(published))[0]!;
      expect(key).toEqual({ id: '4294967295' });
      expect(insert.op).toBe('c');
      expect(insert.after).toEqual({
        id: '4294967295', tiny: -128, bu: '-1', dec_: '-1234567.891', dt: '1529476623000', dt6: '1529476623000001', ts: '2018-06-20T06:37:03.500000Z',
        tm: '-3020399000000', y: 2155, e: 'large', s: 'a,c', b10: '0500',
        g: { wkb: '0101000000000000000000f03f0000000000000040', srid: null },
        p: { x: '3.0', y: '4.0', wkb: '010100000000000000000008400000000000001040', srid: 4326 }, name: 'x',
      });
      expect(insert.source).toMatchObject({ connector: 'mysql', name: prefix, db, table: 'things', snapshot: 'false', gtid: expect.stringMatching(/^\d+-\d+-\d+$/) });
      // Debezium's binlog coordinates: the rows event's file and start, the row's index in it, the writing server.
      const [events] = await sql.query(`SHOW BINLOG EVENTS IN '${binlogStart!.File}' FROM ${binlogStart!.Position}`) as unknown as [Array<{ Pos: number; Event_type: string; Info: string }>];
      const tableMap = events.findIndex((e) => e.Event_type === 'Table_map' && e.Info.includes(`(${db}.things)`));
      const rowsEvent = events.slice(tableMap + 1).find((e) => e.Event_type.startsWith('Write_rows'));
      const [[{ serverId }]] = await sql.query('SELECT @@server_id AS serverId') as unknown as [[{ serverId: number }]];
      expect(insert.source).toMatchObject({ file: binlogStart!.File, pos: String(rowsEvent!.Pos), row: 0, server_id: String(serverId), thread: null });

      const [props] = await javaConnectProps(published.entries.filter((e) => e.subject === `${topic}-value`).map((e) => e.schema));
      expect(props.source).toMatchObject({ fullName: 'io.debezium.connector.mysql.Source', 'connect.name': 'io.debezium.connector.mysql.Source', 'connect.version': 1 });
      expect(props.fields).toMatchObject({
        id: { type: 'long' },
        tiny: { type: 'int', 'connect.type': 'int16' },
        bu: { type: 'long' },
        dt: named('io.debezium.time.Timestamp', 'long'),
        dt6: named('io.debezium.time.MicroTimestamp', 'long'),
        ts: named('io.debezium.time.ZonedTimestamp', 'string'),
        tm: named('io.debezium.time.MicroTime', 'long'),
        y: named('io.debezium.time.Year', 'int'),
        e: named('io.debezium.data.Enum', 'string', { 'connect.parameters': { allowed: 'small,large' } }),
        s: named('io.debezium.data.EnumSet', 'string', { 'connect.parameters': { allowed: 'a,b,c' } }),
        b10: named('io.debezium.data.Bits', 'bytes', { 'connect.parameters': { length: '10' } }),
        g: { type: 'record', fullName: 'io.debezium.data.geometry.Geometry', 'connect.name': 'io.debezium.data.geometry.Geometry' },
        p: { type: 'record', fullName: 'io.debezium.data.geometry.Point', 'connect.name': 'io.debezium.data.geometry.Point' },
      });
    }, 180_000);
  });
});
