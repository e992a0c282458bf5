import type { SourcePosition } from '../model/change-event.js';

/**
 * Why a connector's daemon stopped, kept durably beside its checkpoint (in `<topicPrefix>._offsets` under
 * the key `<name>#last-failure`: a connector name never holds `#`, and readers of the checkpoint key ignore
 * it), so `logtap check` and `logtap offsets show` can say so after the process is gone. Written when the
 * daemon stops on a failure it does not retry; deleted (a tombstone) with the first checkpoint after streaming
 * resumed. JSON text, versioned by `v`.
 */
export interface LastFailure {
  /** LogtapError code (e.g. SCHEMA_EVOLUTION, ENCODING, POSITION_LOST). */
  code: string;
  message: string;
  /** The checkpoint the connector had reached (null: none yet): the failing change follows it. */
  position: SourcePosition | null;
  failedAtMicros: bigint;
  logtapVersion: string;
}

const VERSION = 'failure1';

export const lastFailureKey = (connector: string): string => `${connector}#last-failure`;

export function encodeLastFailure(f: LastFailure): Buffer {
  return Buffer.from(JSON.stringify({ v: VERSION, code: f.code, message: f.message, position: f.position, failedAtMicros: f.failedAtMicros.toString(), logtapVersion: f.logtapVersion }));
}

/** Reads encodeLastFailure's bytes; a record this version cannot read is shown as such rather than hidden. */
export function decodeLastFailure(bytes: Buffer): LastFailure {
  try {
    const r = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
    const position = r.position as SourcePosition | null;
    if (r.v === VERSION && typeof r.code === 'string' && typeof r.message === 'string' && typeof r.failedAtMicros === 'string' && typeof r.logtapVersion === 'string'
      && (position === null || (typeof position?.token === 'string' && typeof position.display === 'string'))) {
      return { code: r.code, message: r.message, position, failedAtMicros: BigInt(r.failedAtMicros), logtapVersion: r.logtapVersion };
    }
  } catch {
    // falls through
  }
  return { code: 'UNKNOWN', message: 'a failure record this logtap version cannot read', position: null, failedAtMicros: 0n, logtapVersion: '?' };
}

/** What gets a stopped connector going again, by error code (the runbook in docs/operations.md has the costs). */
export function failureFix(code: string): string {
  switch (code) {
    case 'PREFLIGHT':
    case 'CONFIG':
    case 'SOURCE_SETUP':
      return 'fix what the message names (logtap check lists every problem), then start logtap run again';
    case 'POSITION_LOST':
      return 'the source no longer holds the log after the checkpoint: logtap offsets reset, then logtap run (it snapshots again per snapshot.mode) — docs/operations.md#runbook';
    case 'SCHEMA_EVOLUTION':
      return 'make the new column nullable or give the change a compatible type and start logtap run again, or set schemaEvolution.onIncompatible: allow; or skip it: logtap offsets skip-current-transaction, then logtap snapshot --table for the tables it names';
    case 'ENCODING':
      return 'the change after the checkpoint cannot be encoded: logtap offsets skip-current-transaction, then logtap snapshot --table for the tables it names (after fixing the value at the source)';
    case 'SINK':
      return 'Kafka refused the write: raise max.message.bytes (topic) / message.max.bytes (brokers) and start logtap run again, or logtap offsets skip-current-transaction and re-snapshot the tables it names';
    default:
      return 'read the message and docs/operations.md#runbook; logtap offsets show prints the checkpoint, logtap offsets skip-current-transaction gets past the transaction that follows it';
  }
}
