import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Apache Avro Java (tools/avro-java) as an independent referee for logtap's Avro code. It is compiled
 * on first use into ~/.cache/logtap/avro-java-<avro version>/ (LOGTAP_AVRO_JAVA_CACHE overrides), and
 * again only when its pom or source changes. Each call starts one JVM: batch many schemas or records.
 * Schemas are JSON values as in an .avsc file (a primitive is its name as a string).
 */

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const toolDir = join(root, 'tools', 'avro-java');
const pomFile = join(toolDir, 'pom.xml');
const sourceFile = join(toolDir, 'src', 'main', 'java', 'dev', 'logtap', 'avrocheck', 'AvroCheck.java');
const MAIN_CLASS = 'dev.logtap.avrocheck.AvroCheck';

let classpath: Promise<string> | undefined;

/** The classpath of the built tool; builds it once per process when the cache is missing or stale. */
export function avroJavaClasspath(): Promise<string> {
  classpath ??= build().catch((err: unknown) => {
    classpath = undefined; // let a later call retry, e.g. after Maven Central was unreachable
    throw err;
  });
  return classpath;
}

export async function avroJavaFingerprints(schemas: (object | string)[]): Promise<{ fingerprints: string[]; canonical: string[] }> {
  const out = (await runTool('fingerprint', { schemas })) as { fingerprints: string[]; canonical: string[] };
  if (out.fingerprints.length !== schemas.length || out.canonical.length !== schemas.length) {
    throw new Error(`Avro Java answered for ${out.fingerprints.length} of ${schemas.length} schemas`);
  }
  return out;
}

/**
 * Decodes single-object-encoded records, each with the writer schema its fingerprint names. Values come
 * back as JSON: longs, floats and doubles as strings (Java's text), bytes and fixed as lower-case hex,
 * decimals as plain strings, dates/times/timestamps as their raw int (number) or long (string).
 */
export async function avroJavaDecode(schemas: (object | string)[], records: Buffer[]): Promise<unknown[]> {
  const out = (await runTool('decode', { schemas, records: records.map((r) => r.toString('base64')) })) as { values: unknown[] };
  if (out.values.length !== records.length) throw new Error(`Avro Java decoded ${out.values.length} of ${records.length} records`);
  return out.values;
}

function missingTools(): string[] {
  return ['java', 'javac', 'mvn'].filter((bin) => spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0);
}

function avroVersion(): string {
  const match = /<avro\.version>([^<]+)<\/avro\.version>/.exec(readFileSync(pomFile, 'utf8'));
  if (!match?.[1]) throw new Error(`${pomFile} does not name <avro.version>`);
  return match[1];
}

async function build(): Promise<string> {
  const version = avroVersion();
  const cacheDir = resolve(process.env.LOGTAP_AVRO_JAVA_CACHE ?? join(homedir(), '.cache', 'logtap', `avro-java-${version}`));
  const cp = [join(cacheDir, 'classes'), join(cacheDir, 'lib', '*')].join(delimiter);
  // The stamp ties the cache to the exact pom and source, so an edited AvroCheck.java is rebuilt.
  const stamp = createHash('sha256').update(readFileSync(pomFile)).update(readFileSync(sourceFile)).digest('hex');
  const completeFile = join(cacheDir, '.complete');
  if (existsSync(completeFile) && readFileSync(completeFile, 'utf8').trim() === stamp) return cp;

  const missing = missingTools();
  if (missing.length > 0) {
    throw new Error(`the Avro Java referee needs ${missing.join(', ')} on PATH: install a JDK 17 (\`apt-get install -y openjdk-17-jdk-headless\`) and Maven (\`apt-get install -y maven\`)`);
  }
  const tmp = `${cacheDir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  try {
    await run('mvn', ['-q', '-B', '-Dstyle.color=never', '-f', pomFile, `-Davro.version=${version}`,
      'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies',
      '-DincludeScope=runtime', `-DoutputDirectory=${join(tmp, 'lib')}`]);
    if (!existsSync(join(tmp, 'lib', `avro-${version}.jar`))) throw new Error(`Maven did not deliver avro-${version}.jar into ${tmp}/lib`);
    await run('javac', ['-nowarn', '--release', '17', '-encoding', 'UTF-8', '-d', join(tmp, 'classes'),
      '-cp', join(tmp, 'lib', '*'), sourceFile]);
    writeFileSync(join(tmp, '.complete'), `${stamp}\n`);
    mkdirSync(dirname(cacheDir), { recursive: true });
    rmSync(cacheDir, { recursive: true, force: true });
    renameSync(tmp, cacheDir);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return cp;
}

/** Runs a command to completion; rejects with its last lines of output. */
function run(cmd: string, args: string[], stdin?: string): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => stdout.push(d));
    child.stderr.on('data', (d: Buffer) => stderr.push(d));
    child.once('error', (err: NodeJS.ErrnoException) => fail(err.code === 'ENOENT' ? new Error(`${cmd} not found on PATH`) : err));
    child.once('close', (code) => {
      if (code === 0) return done(Buffer.concat(stdout).toString('utf8'));
      const output = (Buffer.concat(stderr).toString('utf8') || Buffer.concat(stdout).toString('utf8')).trim();
      fail(new Error(`${cmd} failed (exit ${code}): ${output.split('\n').slice(-3).join(' | ')}`));
    });
    child.stdin.on('error', () => {}); // a child that dies early closes stdin; its exit code tells why
    child.stdin.end(stdin ?? '');
  });
}

async function runTool(mode: 'fingerprint' | 'decode', job: object): Promise<unknown> {
  const cp = await avroJavaClasspath();
  // A short-lived JVM: the C1 compiler alone and the serial GC start fastest.
  const out = await run('java', ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-cp', cp, MAIN_CLASS, mode], JSON.stringify(job));
  return JSON.parse(out) as unknown;
}
