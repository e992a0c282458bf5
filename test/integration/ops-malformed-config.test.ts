import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { writeConfig } from '../helpers/daemon.js';

// 30 malformed configs through the real CLI (bin/logtap.js run): each gives exactly one line on stderr naming
// the key, the bad value and what is expected, nothing on stdout, and exit code 2 — before anything connects.

type Config = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const valid = (): Config => ({
  name: 'shop', source: { url: 'postgres://app:pw@127.0.0.1:1/shop' }, kafka: { brokers: ['127.0.0.1:1'] }, topicPrefix: 'shop',
});

interface Case {
  what: string;
  change?: (c: Config) => void;
  env?: Record<string, string>;
  args?: string[];
  /** The whole line after `logtap: `, with the config file's path as FILE. */
  line: RegExp;
}

const cases: Case[] = [
  { what: 'name missing', change: (c) => { delete c.name; }, line: /^name in FILE: expected string \(got nothing\)$/ },
  { what: 'name with a space', change: (c) => { c.name = 'my shop'; }, line: /^name in FILE: expected 1–100 letters, digits, _ \. or - \(got "my shop"\)$/ },
  { what: 'name too long', change: (c) => { c.name = 'x'.repeat(101); }, line: /^name in FILE: expected 1–100 letters, digits, _ \. or - \(got "x{20,}…\)$/ },
  { what: 'source missing', change: (c) => { delete c.source; }, line: /^source in FILE: expected object \(got nothing\)$/ },
  { what: 'source null', change: (c) => { c.source = null; }, line: /^source in FILE: expected object \(got null\)$/ },
  { what: 'source.url missing', change: (c) => { c.source = {}; }, line: /^source\.url in FILE: expected string \(got nothing\)$/ },
  { what: 'source.url of another scheme', change: (c) => { c.source.url = 'http://db:5432/shop'; }, line: /^source\.url in FILE: expected a postgres:\/\/, mysql:\/\/ or mariadb:\/\/ URL \(got "http:\/\/db:5432\/shop"\)$/ },
  { what: 'source.url a number', change: (c) => { c.source.url = 42; }, line: /^source\.url in FILE: expected string \(got 42\)$/ },
  { what: 'source.tables a string', change: (c) => { c.source.tables = 'public.orders'; }, line: /^source\.tables in FILE: expected array \(got "public\.orders"\)$/ },
  { what: 'a table without namespace', change: (c) => { c.source.tables = ['orders']; }, line: /^source\.tables\.0 in FILE: expected namespace\.table \(got "orders"\)$/ },
  { what: 'kafka missing', change: (c) => { delete c.kafka; }, line: /^kafka in FILE: expected object \(got nothing\)$/ },
  { what: 'no brokers', change: (c) => { c.kafka.brokers = []; }, line: /^kafka\.brokers in FILE: expected at least one broker \(got \[\]\)$/ },
  { what: 'a broker without port', change: (c) => { c.kafka.brokers = ['localhost']; }, line: /^kafka\.brokers\.0 in FILE: expected host:port \(got "localhost"\)$/ },
  { what: 'brokers a string', change: (c) => { c.kafka.brokers = 'a:1'; }, line: /^kafka\.brokers in FILE: expected array \(got "a:1"\)$/ },
  { what: 'an unknown SASL mechanism', change: (c) => { c.kafka.sasl = { mechanism: 'gssapi', username: 'u', password: 'p' }; }, line: /^kafka\.sasl\.mechanism in FILE: expected one of "plain"\|"scram-sha-256"\|"scram-sha-512" \(got "gssapi"\)$/ },
  { what: 'SASL without password', change: (c) => { c.kafka.sasl = { mechanism: 'plain', username: 'u' }; }, line: /^kafka\.sasl\.password in FILE: expected string \(got nothing\)$/ },
  { what: 'topicPrefix missing', change: (c) => { delete c.topicPrefix; }, line: /^topicPrefix in FILE: expected string \(got nothing\)$/ },
  { what: 'an unknown envelope', change: (c) => { c.envelope = 'json'; }, line: /^envelope in FILE: expected one of "entity"\|"debezium"\|"key-only" \(got "json"\)$/ },
  { what: 'a misspelt delivery', change: (c) => { c.delivery = 'exactly_once'; }, line: /^delivery in FILE: expected one of "exactly-once"\|"at-least-once" \(got "exactly_once"\)$/ },
  { what: 'an unknown encoding', change: (c) => { c.encoding = { format: 'protobuf' }; }, line: /^encoding\.format in FILE: expected one of "single-object"\|"confluent" \(got "protobuf"\)$/ },
  { what: 'confluent without registry', change: (c) => { c.encoding = { format: 'confluent' }; }, line: /^encoding\.registryUrl in FILE: required when encoding\.format is confluent \(got nothing\)$/ },
  { what: 'a registry URL that is not one', change: (c) => { c.encoding = { format: 'confluent', registryUrl: 'not a url' }; }, line: /^encoding\.registryUrl in FILE: expected a URL \(got "not a url"\)$/ },
  { what: 'batch.maxRecords zero', change: (c) => { c.batch = { maxRecords: 0 }; }, line: /^batch\.maxRecords in FILE: expected number to be >=1 \(got 0\)$/ },
  { what: 'batch.maxRecords text', change: (c) => { c.batch = { maxRecords: 'lots' }; }, line: /^batch\.maxRecords in FILE: expected number \(got "lots"\)$/ },
  { what: 'batch.maxDelayMs too big', change: (c) => { c.batch = { maxDelayMs: 120000 }; }, line: /^batch\.maxDelayMs in FILE: expected number to be <=60000 \(got 120000\)$/ },
  { what: 'a fractional grace period', change: (c) => { c.shutdownGraceMs = 1.5; }, line: /^shutdownGraceMs in FILE: expected an integer \(got 1\.5\)$/ },
  { what: 'http.port out of range', change: (c) => { c.http = { port: 70000 }; }, line: /^http\.port in FILE: expected a port number 0–65535 \(got 70000\)$/ },
  { what: 'a misspelt top-level key', change: (c) => { c.tabels = ['a.b']; }, line: /^unknown setting tabels in FILE: remove it or check its spelling$/ },
  { what: 'a bad value from LOGTAP_ENVELOPE', env: { LOGTAP_ENVELOPE: 'avro' }, line: /^envelope in FILE: expected one of "entity"\|"debezium"\|"key-only" \(got "avro"\)$/ },
  { what: 'a bad --http-port flag', args: ['--http-port', '99999'], line: /^http\.port in FILE: expected a port number 0–65535 \(got 99999\)$/ },
];

function run(file: string, args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, ['bin/logtap.js', 'run', '--config', file, ...args], { timeout: 60_000, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      done({ code: err ? Number(err.code) : 0, stdout, stderr });
    });
  });
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('a malformed config gives one clear line and exit code 2', () => {
  it('has 30 cases', () => expect(cases).toHaveLength(30));
  for (const c of cases) {
    it.concurrent(c.what, async () => {
      const config = valid();
      c.change?.(config);
      const file = writeConfig(config);
      const result = await run(file, c.args ?? [], c.env ?? {});
      expect(result.code, result.stderr).toBe(2);
      expect(result.stdout).toBe('');
      const lines = result.stderr.split('\n').filter((l) => l !== '');
      expect(lines, result.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(c.line.source.replace('^', '^logtap: ').replace('FILE', escape(file))));
    });
  }
});
