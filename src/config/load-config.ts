import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ZodError } from 'zod';
import { ConfigError } from '../errors.js';
import { configSchema, topicsConfigSchema, type LogtapConfig, type TopicsConfig } from './config-schema.js';

/**
 * Raw input → one validated, typed config, once, at the edge. Precedence: flags over `LOGTAP_*`
 * environment variables over the file; `${VAR}` in the file expands from the environment.
 * Errors name the key, the bad value and what is expected, in one line, and never echo a URL's password.
 */
export function loadConfig(options: LoadOptions): LogtapConfig {
  return validate(configSchema, readRaw(options), options.file);
}

/** Only the Kafka connection and topic prefix, for commands that read logtap's topics. */
export function loadTopicsConfig(options: LoadOptions): TopicsConfig {
  // Other sections of a full config file are fine here; only these two are read.
  const raw = readRaw(options);
  return validate(topicsConfigSchema, { kafka: raw.kafka, topicPrefix: raw.topicPrefix, topics: raw.topics }, options.file);
}

interface LoadOptions { file?: string; env?: NodeJS.ProcessEnv; overrides?: Record<string, unknown> }

function validate<T>(schema: { parse(raw: unknown): T }, raw: Record<string, unknown>, file: string | undefined): T {
  try {
    return schema.parse(raw);
  } catch (err) {
    if (err instanceof ZodError) throw new ConfigError(describeIssue(err, raw, file));
    throw err;
  }
}

function readRaw(options: LoadOptions): Record<string, unknown> {
  const env = options.env ?? process.env;
  let raw: Record<string, unknown> = {};
  if (options.file) {
    let text: string;
    try {
      text = readFileSync(options.file, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read config file ${options.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    text = expandVariables(text, env, options.file);
    try {
      raw = (parseYaml(text) ?? {}) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError(`${options.file} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
    }
    if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`${options.file} must hold a mapping of settings at the top level`);
  }
  for (const [path, value] of Object.entries(fromEnv(env))) setPath(raw, path, value);
  for (const [path, value] of Object.entries(options.overrides ?? {})) if (value !== undefined) setPath(raw, path, value);
  return raw;
}

/** `LOGTAP_SOURCE_URL` → source.url, `LOGTAP_KAFKA_BROKERS` → kafka.brokers (comma-separated), … */
const ENV_KEYS: Record<string, { path: string; list?: boolean }> = {
  LOGTAP_NAME: { path: 'name' },
  LOGTAP_SOURCE_URL: { path: 'source.url' },
  LOGTAP_SOURCE_TABLES: { path: 'source.tables', list: true },
  LOGTAP_KAFKA_BROKERS: { path: 'kafka.brokers', list: true },
  LOGTAP_TOPIC_PREFIX: { path: 'topicPrefix' },
  LOGTAP_ENVELOPE: { path: 'envelope' },
  LOGTAP_ENCODING_FORMAT: { path: 'encoding.format' },
  LOGTAP_REGISTRY_URL: { path: 'encoding.registryUrl' },
  LOGTAP_HTTP_PORT: { path: 'http.port' },
  LOGTAP_HTTP_HOST: { path: 'http.host' },
  LOGTAP_HTTP_TOKEN: { path: 'http.token' },
};

function fromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, { path, list }] of Object.entries(ENV_KEYS)) {
    const value = env[name];
    if (value !== undefined && value !== '') out[path] = list ? value.split(',').map((s) => s.trim()).filter(Boolean) : value;
  }
  return out;
}

function expandVariables(text: string, env: NodeJS.ProcessEnv, file: string): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
    const value = env[name];
    if (value === undefined) throw new ConfigError(`${file} uses \${${name}}, but the environment variable ${name} is not set`);
    return value;
  });
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    if (typeof node[part] !== 'object' || node[part] === null) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts.at(-1)!] = value;
}

function getPath(source: unknown, path: PropertyKey[]): unknown {
  let node = source;
  for (const key of path) node = node && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined;
  return node;
}

/** A value for an error line: short, and a URL's password replaced. */
export function showValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = typeof value === 'string' ? JSON.stringify(redactUrl(value)) : JSON.stringify(value, (_, v) => (typeof v === 'string' ? redactUrl(v) : v));
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

export function redactUrl(text: string): string {
  return text.replace(/(\/\/[^:/@\s]+:)[^@/\s]+@/g, '$1***@');
}

function describeIssue(err: ZodError, raw: unknown, file: string | undefined): string {
  const issue = err.issues[0]!;
  const key = issue.path.join('.') || '(top level)';
  const where = file ? ` in ${file}` : '';
  if (issue.code === 'unrecognized_keys') {
    const base = issue.path.length ? `${key}.` : '';
    return `unknown setting ${issue.keys.map((k) => base + k).join(', ')}${where}: remove it or check its spelling`;
  }
  const value = getPath(raw, issue.path);
  // zod's "Invalid input: expected string, received undefined" → "expected string"; the value follows anyway.
  const expected = issue.message.replace(/^(Invalid input|Invalid option|Too small|Too big): /, '').replace(/, received \w+$/, '').replace(/^Invalid URL$/, 'expected a URL').replace(/^expected int$/, 'expected an integer');
  return `${key}${where}: ${expected} (got ${showValue(value)})`;
}
