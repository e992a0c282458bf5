// The smallest real end-to-end path: an INSERT in PostgreSQL, read from a pgoutput slot, published to
// Kafka in a transaction, read back by a read_committed consumer and printed.
import pg from 'pg';
import { Kafka, logLevel } from 'kafkajs';
import { LogicalReplicationService, PgoutputPlugin } from 'pg-logical-replication';
import type { Pgoutput } from 'pg-logical-replication';
import { testBed } from '../test/helpers/test-bed.js';

const { pgUrl, kafkaBrokers } = testBed();
// Keep PostgreSQL's own text for exact types: pg's default parsers drop microseconds and digits.
for (const oid of [20, 1082, 1114, 1184, 1700]) pg.types.setTypeParser(oid, (text: string) => text);
const suffix = Date.now().toString(36);
const slot = `logtap_demo_${suffix}`;
const publication = `logtap_demo_${suffix}`;
const topic = `demo.public.orders`;

const sql = new pg.Client({ connectionString: pgUrl });
await sql.connect();
await sql.query('CREATE TABLE IF NOT EXISTS orders (id bigserial PRIMARY KEY, customer text NOT NULL, total numeric(12,2) NOT NULL, placed_at timestamptz NOT NULL DEFAULT now())');
await sql.query(`CREATE PUBLICATION ${publication} FOR TABLE orders`);
await sql.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);

const kafka = new Kafka({ clientId: 'logtap-demo', brokers: kafkaBrokers, logLevel: logLevel.NOTHING });
const producer = kafka.producer({ transactionalId: `logtap-demo-${suffix}`, idempotent: true, maxInFlightRequests: 1 });
await producer.connect();

const replication = new LogicalReplicationService({ connectionString: pgUrl }, { acknowledge: { auto: false, timeoutSeconds: 0 } });
const published = new Promise<void>((done, fail) => {
  replication.on('error', fail);
  replication.on('data', async (lsn: string, message: Pgoutput.Message) => {
    if (message.tag !== 'insert') return;
    const key = JSON.stringify({ id: message.new.id });
    const value = JSON.stringify(message.new);
    const tx = await producer.transaction();
    await tx.send({ topic, messages: [{ key, value, headers: { 'logtap.lsn': lsn, 'logtap.op': 'c' } }] });
    await tx.commit();
    await replication.acknowledge(lsn); // only after Kafka committed
    done();
  });
});
void replication.subscribe(new PgoutputPlugin({ protoVersion: 1, publicationNames: [publication] }), slot).catch(() => {});

const { rows } = await sql.query(`INSERT INTO orders (customer, total) VALUES ('ada', 42.50) RETURNING *`);
console.log('PostgreSQL  INSERT', JSON.stringify(rows[0]));
await published;

const consumer = kafka.consumer({ groupId: `logtap-demo-${suffix}`, readUncommitted: false });
await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
await new Promise<void>((done) => {
  void consumer.run({
    eachMessage: async ({ message, partition }) => {
      const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
      if (message.key?.toString() !== JSON.stringify({ id: rows[0].id })) return;
      console.log(`Kafka       ${topic}[${partition}]@${message.offset} key=${message.key} value=${message.value} headers=${JSON.stringify(headers)}`);
      done();
    },
  });
});

await consumer.disconnect();
await replication.stop();
await producer.disconnect();
await sql.query('SELECT pg_drop_replication_slot($1)', [slot]);
await sql.query(`DROP PUBLICATION ${publication}`);
await sql.end();
