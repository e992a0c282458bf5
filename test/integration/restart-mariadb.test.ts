import { waitFor } from '../helpers/wait.js';
import { startTemporaryMariadb } from '../helpers/temp-mariadb.js';
import { CheckpointStore } from '../../src/kafka/checkpoint-store.js';
import { describeRestarts, mariadbConnect } from './restart-harness.js';

// MariaDB restart, Kafka broker restart, broker down for several backoffs: see restart-harness.ts.
describeRestarts({
  title: 'MariaDB',
  // The test bed's binlog settings: ROW images with full metadata, GTIDs.
  start: () => startTemporaryMariadb(['--log-bin=binlog', '--binlog-format=ROW', '--binlog-row-image=FULL', '--binlog-row-metadata=FULL', '--gtid-strict-mode=ON']),
  connect: mariadbConnect,
  qualified: (table) => `app.${table}`,
  // A first start (no snapshot) captures from the binlog position it checkpoints first.
  capturing: ({ kafka, name, prefix }) => waitFor('the first checkpoint', async () => ((await new CheckpointStore(kafka, prefix, name).load()) ? true : undefined), 60_000, 200),
});
