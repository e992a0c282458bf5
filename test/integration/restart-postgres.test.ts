import { waitFor } from '../helpers/wait.js';
import { startTemporaryPostgres } from '../helpers/temp-postgres.js';
import { connectorObjectPattern } from '../helpers/pg-connector-objects.js';
import { describeRestarts, pgConnect } from './restart-harness.js';

// PostgreSQL restart, Kafka broker restart, broker crash, broker down for several backoffs: see restart-harness.ts.
describeRestarts({
  title: 'PostgreSQL',
  start: () => startTemporaryPostgres({ wal_level: 'logical', max_replication_slots: '10', max_wal_senders: '10' }),
  connect: pgConnect,
  qualified: (table) => `public.${table}`,
  // Changes are captured from the slot's creation on (no snapshot).
  capturing: ({ name, sql }) => waitFor('the slot', async () => (
    (await sql.run(`SELECT 1 FROM pg_replication_slots WHERE slot_name LIKE '${connectorObjectPattern(name)}'`)).rows.length ? true : undefined
  ), 60_000, 100),
  brokerCrash: true,
});
