// Debezium in Kafka Connect standalone, assembled from Maven Central on first use into
// ~/.cache/logtap/debezium-<version>/ (libs/: the Connect 3.9 worker; plugins/: the connector archives),
// the way scripts/services.mjs caches Kafka. Nothing of it is committed: scripts/debezium/pom.xml names it.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { packageRoot } from '../../src/package-root.js';

export const DEBEZIUM_VERSION = '3.2.0.Final';
export const CONNECT_VERSION = '3.9.1';

export interface DebeziumInstall { libs: string; plugins: string }

export function assembleDebezium(): DebeziumInstall {
  const cache = process.env.LOGTAP_DEBEZIUM_CACHE ?? join(homedir(), '.cache', 'logtap', `debezium-${DEBEZIUM_VERSION}`);
  const install = { libs: join(cache, 'libs'), plugins: join(cache, 'plugins') };
  if (existsSync(join(cache, '.complete'))) return install;
  const pom = join(packageRoot(), 'scripts', 'debezium', 'pom.xml');
  const tmp = `${cache}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  console.log(`assembling Debezium ${DEBEZIUM_VERSION} in Kafka Connect ${CONNECT_VERSION} from Maven Central into ${cache} (first run only)`);
  const mvn = (goal: string, ...props: string[]) => execFileSync('mvn', ['-q', '-B', '-Dstyle.color=never', '-f', pom, `-Ddebezium.version=${DEBEZIUM_VERSION}`, `-Dkafka.version=${CONNECT_VERSION}`,
    `org.apache.maven.plugins:maven-dependency-plugin:3.8.1:${goal}`, ...props], { stdio: ['ignore', 'inherit', 'inherit'] });
  mvn('copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${join(tmp, 'libs')}`);
  mvn('unpack', `-DoutputDirectory=${join(tmp, 'plugins')}`, `-DmarkersDirectory=${join(tmp, 'markers')}`);
  rmSync(join(tmp, 'markers'), { recursive: true, force: true });
  for (const plugin of ['debezium-connector-postgres', 'debezium-connector-mariadb']) {
    if (!existsSync(join(tmp, 'plugins', plugin))) throw new Error(`Maven did not deliver ${plugin} into ${tmp}/plugins`);
  }
  if (!readdirSync(join(tmp, 'libs')).some((f) => f.startsWith('connect-runtime-'))) throw new Error(`Maven did not deliver connect-runtime into ${tmp}/libs`);
  writeFileSync(join(tmp, '.complete'), `${DEBEZIUM_VERSION}\n`);
  rmSync(cache, { recursive: true, force: true });
  mkdirSync(dirname(cache), { recursive: true });
  renameSync(tmp, cache);
  return install;
}
