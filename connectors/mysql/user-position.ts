import { ConfigError } from '../../src/errors.js';
import type { SourcePosition } from '../../src/model/change-event.js';
import { parseGtidState } from './gtid-set.js';
import { decodeMysqlPosition, toSourcePosition } from './mysql-position.js';
import type { MysqlQueryRunner } from './introspect-columns.js';

/** A binlog file name and a byte offset: `binlog.000003:4567`. */
const FILE_OFFSET = /^([^\s:]+\.\d+):(\d+)$/;

/**
 * A position a user gives `logtap offsets set`: `file:offset` (the offset of a transaction's first event, as
 * SHOW BINLOG EVENTS lists it), a GTID set (MariaDB `0-1-42`, MySQL `uuid:1-42`: every transaction in it counts
 * as published), or a checkpoint token as `offsets show` prints it (`my1:…`).
 */
export function parseUserPosition(text: string): SourcePosition {
  const trimmed = text.trim();
  const shown = JSON.stringify(trimmed.length > 60 ? `${trimmed.slice(0, 60)}…` : trimmed);
  const expected = 'give binlog-file:offset (e.g. mysql-bin.000003:4567), a GTID set (e.g. 0-1-42 or 3e11fa47-71ca-11e1-9e33-c80aa9429562:1-42) or a my1: token as logtap offsets show prints it';
  if (trimmed.startsWith('my1:')) return toSourcePosition(decodeMysqlPosition(trimmed));
  const file = FILE_OFFSET.exec(trimmed);
  if (file) {
    const offset = Number(file[2]);
    if (!Number.isSafeInteger(offset) || offset < 4) throw new ConfigError(`position ${shown}: the offset must be a binlog event's offset (4 or more)`);
    return toSourcePosition({ kind: 'file', file: file[1]!, offset, published: 0 });
  }
  if (trimmed !== '') {
    try {
      parseGtidState(trimmed);
      return toSourcePosition({ kind: 'gtid', executed: trimmed.replace(/\s+/g, '') });
    } catch {
      // not a GTID set either: the message below names every form
    }
  }
  throw new ConfigError(`position ${shown} is not a MySQL/MariaDB position: ${expected}`);
}

/** A file position the server no longer (or never) had cannot be resumed from. */
export async function binlogRefusal(runner: MysqlQueryRunner, position: SourcePosition): Promise<string | null> {
  const parsed = decodeMysqlPosition(position.token);
  if (parsed.kind !== 'file') return null;
  const files = await runner.query('SHOW BINARY LOGS', []);
  const file = files.find((f) => String(f.Log_name) === parsed.file);
  if (!file) return `binlog file ${parsed.file} is not on the server (SHOW BINARY LOGS lists ${files.map((f) => String(f.Log_name)).join(', ') || 'none'})`;
  if (parsed.offset > Number(file.File_size)) return `binlog file ${parsed.file} holds ${String(file.File_size)} bytes: offset ${parsed.offset} is past its end`;
  return null;
}
