import type avro from 'avsc';
import { SchemaEvolutionError } from '../errors.js';
import { avroType } from '../avro/avro-type.js';
import type { AvroSchema } from '../avro/column-avro-type.js';
import { fingerprint64Bytes } from '../avro/fingerprint.js';
import { renamedSchema, wireIdentity } from './wire-identity.js';

/** One schema under a subject (`<topic>-key`, `<topic>-value`): what the schema topic and `schemas export` hold. */
export interface SchemaEntry {
  subject: string;
  version: number;
  /** CRC-64-AVRO, 8 bytes little-endian, as single-object encoding writes it. */
  fingerprint: Buffer;
  /** The same fingerprint as 16 hex digits of the unsigned value (the schema topic's key). */
  fingerprintHex: string;
  schema: AvroSchema;
  table: string | null;
}

/**
 * What happens when a table changes so that a reader of the new schema could not read older records
 * (backward incompatible: a new NOT NULL column without a default, a narrowed type):
 * - `fail`: stop with instructions, publish nothing under the new schema;
 * - `allow`: publish it as the next version (every record still names its exact writer schema).
 */
export type IncompatibleSchemaPolicy = 'fail' | 'allow';

export const fingerprintHex = (fingerprint: Buffer): string => Buffer.from(fingerprint).reverse().toString('hex');

/**
 * Versions of every subject, seeded from what the schema topic already holds, so that versions keep
 * counting across restarts and a schema seen before keeps its version.
 */
export class SchemaCatalog {
  private readonly byFingerprint = new Map<string, SchemaEntry>();
  /** The latest version of each subject; its avsc type only once a newer version is checked against it (compiled code, tens of kB each). */
  private readonly latest = new Map<string, { entry: SchemaEntry; type?: avro.Type }>();
  /** Tables whose next version of each subject may be incompatible (a resync republishes them), with the subjects that used it. */
  private readonly republished = new Map<string, Set<string>>();

  constructor(private readonly policy: IncompatibleSchemaPolicy = 'fail', known: Iterable<SchemaEntry> = []) {
    for (const entry of known) this.remember(entry);
  }

  /**
   * The entry of `schema` under `subject`: the known one, or a new version (`isNew`), which the caller
   * must publish before the first record that uses it.
   */
  register(subject: string, given: AvroSchema, table: string | null): { entry: SchemaEntry; isNew: boolean } {
    // A known schema with this fingerprint but other logical types (a decimal's scale, …) is another schema: this
    // one is renamed until its fingerprint is its own (the same name each time, so a restart finds it again).
    let schema = given;
    let fingerprint = fingerprint64Bytes(schema as object);
    let hex = fingerprintHex(fingerprint);
    for (let n = 2; ; n++) {
      const known = this.byFingerprint.get(`${subject}/${hex}`);
      if (!known) break;
      if (wireIdentity(known.schema) === wireIdentity(schema)) return { entry: known, isNew: false };
      schema = renamedSchema(given, n);
      fingerprint = fingerprint64Bytes(schema as object);
      hex = fingerprintHex(fingerprint);
    }

    const previous = this.latest.get(subject);
    const type = previous ? avroType(schema) : undefined;
    if (previous && type) {
      const problem = backwardProblem(type, previous.type ??= avroType(previous.entry.schema));
      // The permission covers the subject's next version only, compatible or not.
      const used = table === null ? undefined : this.republished.get(table);
      const permitted = used !== undefined && !used.has(subject);
      used?.add(subject);
      if (problem && !permitted && this.policy === 'fail') {
        throw new SchemaEvolutionError(
          `${subject}: the new schema cannot read records of version ${previous.entry.version} (${problem}); ` +
            'give the new column a default or make it nullable, or set schemaEvolution.onIncompatible: allow to publish it anyway',
        );
      }
    }
    const entry: SchemaEntry = { subject, version: (previous?.entry.version ?? 0) + 1, fingerprint, fingerprintHex: hex, schema, table };
    this.remember(entry, type);
    return { entry, isNew: true };
  }

  /**
   * Every row of `table` is about to be published again in its new shape (a schema-change resync,
   * src/schema-changes/): the next version of each of its subjects is taken even when older records could not be
   * read with it — the compacted topic converges to records of the new version.
   */
  allowIncompatibleOnce(table: string): void {
    this.republished.set(table, new Set());
  }

  /** The schema of the subject's latest version, if it has one. */
  latestSchema(subject: string): AvroSchema | undefined {
    return this.latest.get(subject)?.entry.schema;
  }

  entries(): SchemaEntry[] {
    return [...this.byFingerprint.values()];
  }

  private remember(entry: SchemaEntry, type?: avro.Type): void {
    this.byFingerprint.set(`${entry.subject}/${entry.fingerprintHex}`, entry);
    const current = this.latest.get(entry.subject);
    if (!current || current.entry.version < entry.version) this.latest.set(entry.subject, type ? { entry, type } : { entry });
  }
}

/** Why a reader of `reader` could not read data written with `writer`, or null when it can. */
function backwardProblem(reader: avro.Type, writer: avro.Type): string | null {
  try {
    reader.createResolver(writer);
    return null;
  } catch (err) {
    return (err as Error).message.split('\n')[0] ?? 'incompatible';
  }
}
