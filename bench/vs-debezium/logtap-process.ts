// Starts logtap as its own process, the way a user runs it (`logtap run --config …`), from the compiled
// bench build (dist-bench/src/cli/main.js is what bin/logtap.js runs from dist/ after `npm run build`;
// the bench does not build dist/ itself because other work in the tree may use bin/logtap.js through tsx),
// with the V8 options the Docker image sets (src/ops/node-options.ts).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { packageRoot } from '../../src/package-root.js';
import { CdcProcess } from './cdc-process.js';
import { logtapSettings } from './tool-configs.js';
import { DAEMON_NODE_OPTIONS } from '../../src/ops/node-options.js';

export interface LogtapRun { workDir: string; name: string; url: string; tables: string[]; brokers: string; topicPrefix: string; extra?: Record<string, unknown> }

export function startLogtap(run: LogtapRun, cpuProfileDir?: string): { process: CdcProcess; logFile: string } {
  const configFile = join(run.workDir, 'logtap.yaml');
  const logFile = join(run.workDir, 'logtap.log');
  writeFileSync(configFile, stringify({
    name: run.name,
    source: { url: run.url, tables: run.tables },
    kafka: { brokers: run.brokers.split(',') },
    topicPrefix: run.topicPrefix,
    ...logtapSettings,
    ...run.extra,
  }));
  const main = join(packageRoot(), 'dist-bench', 'src', 'cli', 'main.js');
  const profile = cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`] : [];
  return { process: new CdcProcess('logtap', process.execPath, [...DAEMON_NODE_OPTIONS, ...profile, main, 'run', '--config', configFile], logFile), logFile };
}
