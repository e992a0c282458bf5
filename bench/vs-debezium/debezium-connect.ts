// Starts Debezium in a Kafka Connect standalone worker (a JVM child process) for one connector.
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { CdcProcess } from './cdc-process.js';
import type { DebeziumInstall } from './debezium-assembly.js';
import { connectJvmOptions, connectWorkerSettings, debeziumConnectorSettings } from './tool-configs.js';

const properties = (entries: Record<string, string>) => `${Object.entries(entries).map(([k, v]) => `${k}=${v}`).join('\n')}\n`;

const freePort = () => new Promise<number>((resolve, reject) => {
  const server = createServer();
  server.once('error', reject);
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as { port: number };
    server.close(() => resolve(port));
  });
});

export interface DebeziumRun { workDir: string; brokers: string; connector: Record<string, string> }

/** The worker keeps its source offsets in workDir/offsets.dat, so a second start resumes where the first stopped. */
export async function startDebezium(install: DebeziumInstall, run: DebeziumRun): Promise<{ process: CdcProcess; logFile: string }> {
  const worker = join(run.workDir, 'worker.properties');
  const connector = join(run.workDir, 'connector.properties');
  const log4j = join(run.workDir, 'log4j.properties');
  const logFile = join(run.workDir, 'connect.log');
  writeFileSync(worker, properties({
    'bootstrap.servers': run.brokers,
    'offset.storage.file.filename': join(run.workDir, 'offsets.dat'),
    'plugin.path': install.plugins,
    listeners: `http://127.0.0.1:${await freePort()}`,
    ...connectWorkerSettings,
  }));
  writeFileSync(connector, properties({ ...debeziumConnectorSettings, ...run.connector }));
  writeFileSync(log4j, properties({
    'log4j.rootLogger': 'INFO, stdout',
    'log4j.appender.stdout': 'org.apache.log4j.ConsoleAppender',
    'log4j.appender.stdout.layout': 'org.apache.log4j.PatternLayout',
    'log4j.appender.stdout.layout.ConversionPattern': '[%d] %p %m (%c)%n',
    'log4j.logger.org.reflections': 'ERROR',
    'log4j.logger.org.apache.kafka.clients': 'WARN',
  }));
  const args = [...connectJvmOptions, `-Dlog4j.configuration=file:${log4j}`, '-cp', `${install.libs}/*`,
    'org.apache.kafka.connect.cli.ConnectStandalone', worker, connector];
  return { process: new CdcProcess('debezium', 'java', args, logFile), logFile };
}
