import type { SourceFields } from '../../src/model/change-event.js';
import type { Lsn } from './lsn.js';

/**
 * A change's place in the WAL as Debezium's PostgreSQL connector writes it in the `source` block: `lsn`, the
 * change's own WAL record, and `sequence`, `["<end of the last commit decoded>","<lsn>"]` as decimal text (the
 * first null until this session decoded a commit).
 */
export function pgSourceFields(lsn: Lsn | null, lastCommitEnd: Lsn | null): SourceFields {
  return {
    lsn,
    // Formatted only when read (the Debezium envelope): every change of every envelope passes here.
    get sequence() {
      return JSON.stringify([lastCommitEnd === null ? null : String(lastCommitEnd), lsn === null ? null : String(lsn)]);
    },
  };
}
