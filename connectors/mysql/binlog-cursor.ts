import { LogtapError } from '../../src/errors.js';
import type { SourcePosition } from '../../src/model/change-event.js';
import { gtidText, parseGtid, type Gtid, type GtidState } from './gtid-set.js';
import { toSourcePosition, type MysqlPosition } from './mysql-position.js';

/** Where a stream starts, as the position token said (plus the current binlog file for GTID starts, if known). */
export type CursorStart =
  | { kind: 'gtid'; executed: GtidState; resume?: { gtid: string; published: number } }
  | { kind: 'file'; file: string; offset: number; published: number };

/**
 * The position bookkeeping of one stream, independent of the binlog library: it follows transaction boundaries
 * and counts the changes of the transaction in progress, names each change's position (partial: transaction +
 * count) and each boundary (complete), and skips what a partial start position says was published already.
 *
 * The binlog resumes at transaction boundaries only, so a stream started from a partial position sees its
 * transaction again from the start: the cursor swallows its first k changes (`nextChange` returns undefined).
 */
export class BinlogCursor {
  readonly mode: 'gtid' | 'file';
  private readonly executed: GtidState | undefined;
  private executedText = '';
  /** Binlog coordinates of the last boundary (both modes: GTID mode keeps them for display and lag). */
  private file: string;
  private offset: number;
  /** The open transaction; `parsed`: its GTID as parsed once at its start. */
  private tx: { gtid: string | undefined; parsed: Gtid | undefined; file: string; offset: number; changes: number; skip: number; standalone: boolean } | undefined;
  private pendingResume: { gtid?: string; file?: string; offset?: number; published: number } | undefined;
  /** Why a pending resume did not match, for the caller to log. */
  lastResumeMismatch: string | undefined;

  constructor(start: CursorStart) {
    this.mode = start.kind;
    if (start.kind === 'gtid') {
      this.executed = start.executed.clone();
      this.executedText = this.executed.toString();
      this.file = '';
      this.offset = 0;
      if (start.resume) this.pendingResume = { gtid: canonicalGtid(start.resume.gtid), published: start.resume.published };
    } else {
      this.file = start.file;
      this.offset = start.offset;
      if (start.published > 0) this.pendingResume = { file: start.file, offset: start.offset, published: start.published };
    }
  }

  get inTransaction(): boolean {
    return this.tx !== undefined;
  }

  /** A partial start position was not reached yet: no boundary may be reported before it (it would lose the count). */
  get resuming(): boolean {
    return this.pendingResume !== undefined;
  }

  /** The current transaction counted at least one change of a captured table (published now or before). */
  get transactionTouched(): boolean {
    return (this.tx?.changes ?? 0) > 0;
  }

  get transactionStandalone(): boolean {
    return this.tx?.standalone ?? false;
  }

  /** The transaction's id: its GTID, or `file:offset` of its start without GTIDs. */
  get transactionId(): string | undefined {
    return this.tx ? (this.tx.gtid ?? `${this.tx.file}:${this.tx.offset}`) : undefined;
  }

  /** The binlog file and offset last passed at a boundary. */
  get coordinates(): { file: string; offset: number } {
    return { file: this.file, offset: this.offset };
  }

  /**
   * A transaction (event group) starts. `standalone`: a single statement is the whole group (MariaDB standalone
   * GTID event, MySQL GTID event not followed by BEGIN) — its Query event ends it.
   */
  begin(gtid: string | undefined, standalone: boolean): void {
    if (this.tx) throw new LogtapError('MYSQL_BINLOG_ORDER', `binlog transaction ${gtid ?? ''} starts inside transaction ${this.transactionId}`);
    if (this.mode === 'gtid' && gtid === undefined) {
      throw new LogtapError('MYSQL_ANONYMOUS_TRANSACTION', `an anonymous transaction (no GTID) at ${this.file}:${this.offset} in a GTID-positioned stream: set gtid_mode=ON, or start from a file position`);
    }
    const parsed = gtid === undefined ? undefined : parseGtid(gtid);
    const canonical = parsed === undefined ? undefined : gtidText(parsed);
    this.tx = { gtid: canonical, parsed, file: this.file, offset: this.offset, changes: 0, skip: 0, standalone };
    const pending = this.pendingResume;
    if (pending) {
      this.pendingResume = undefined;
      const matches = this.mode === 'gtid' ? pending.gtid === canonical : pending.file === this.file && pending.offset === this.offset;
      if (matches) this.tx.skip = pending.published;
      else this.lastResumeMismatch = `the stream resumed at transaction ${this.transactionId}, not at ${pending.gtid ?? `${pending.file}:${pending.offset}`} of the start position`;
    }
  }

  /** A BEGIN statement: the group runs until its commit (Xid or COMMIT). Starts a group when none is open. */
  beginStatement(): void {
    if (!this.tx) this.begin(undefined, false);
    else this.tx.standalone = false;
  }

  /** The next row change of the open transaction: its position, or undefined when it was published before. */
  nextChange(): SourcePosition | undefined {
    const tx = this.tx;
    if (!tx) throw new LogtapError('MYSQL_BINLOG_ORDER', `a row change outside any transaction at ${this.file}:${this.offset}`);
    tx.changes++;
    if (tx.changes <= tx.skip) return undefined;
    return toSourcePosition(this.partial(tx.changes));
  }

  /**
   * The open transaction ended; `endOffset` is the end of its last event in the current file (the next group's
   * start). Returns the complete position after it.
   */
  commit(endOffset: number): SourcePosition {
    const tx = this.tx;
    if (!tx) throw new LogtapError('MYSQL_BINLOG_ORDER', `a commit outside any transaction at ${this.file}:${this.offset}`);
    if (this.executed && tx.parsed !== undefined) {
      this.executed.add(tx.parsed);
      this.executedText = this.executed.toString();
    }
    if (endOffset > 0) this.offset = endOffset;
    else if (this.mode === 'file') throw new LogtapError('MYSQL_BINLOG_POSITION', `transaction ${this.transactionId} ends at an unknown binlog offset`);
    this.tx = undefined;
    return this.complete();
  }

  /** A rotate event: the next group starts at `offset` of `file`. */
  rotate(file: string, offset: number): void {
    this.file = file;
    this.offset = offset;
  }

  /** A heartbeat: the server is idle at `offset` of `file` (ignored inside a transaction). */
  advance(file: string, offset: number): void {
    if (this.tx) return;
    if (file !== '') this.file = file;
    if (offset > 0) this.offset = offset;
  }

  /** The complete position: everything before the next group is published. Only meaningful between groups. */
  complete(): SourcePosition {
    const position: MysqlPosition = this.mode === 'gtid'
      ? { kind: 'gtid', executed: this.executedText }
      : { kind: 'file', file: this.file, offset: this.offset, published: 0 };
    return toSourcePosition(position);
  }

  private partial(changes: number): MysqlPosition {
    const tx = this.tx!;
    return this.mode === 'gtid'
      ? { kind: 'gtid', executed: this.executedText, inTransaction: { gtid: tx.gtid!, published: changes } }
      : { kind: 'file', file: tx.file, offset: tx.offset, published: changes };
  }
}

function canonicalGtid(text: string): string {
  return gtidText(parseGtid(text));
}
