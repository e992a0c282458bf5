import type { TableId } from '../../src/model/table-schema.js';

/**
 * What a binlog Query event means for captured tables. In a ROW binlog, statements arrive as text only for DDL
 * (TRUNCATE included) and transaction control; logtap needs to know which tables a DDL statement touches.
 */
export type QueryMeaning =
  | { kind: 'begin' }
  | { kind: 'commit' }
  | { kind: 'rollback' }
  | { kind: 'truncate'; table: TableId }
  /** ALTER/CREATE/DROP/RENAME TABLE, CREATE/DROP INDEX: these tables change shape, appear or disappear. */
  | { kind: 'table-ddl'; tables: TableId[] }
  /** DROP/CREATE/ALTER DATABASE: every table of it. */
  | { kind: 'database-ddl'; database: string }
  | { kind: 'other' };

/** Reads a Query event's statement; `defaultDatabase` is the session's database when it ran (the event's schema). */
export function parseQueryStatement(sql: string, defaultDatabase: string): QueryMeaning {
  // Fast path for the statements of every transaction.
  const bare = sql.trim().toUpperCase();
  if (bare === 'BEGIN') return { kind: 'begin' };
  if (bare === 'COMMIT') return { kind: 'commit' };
  const tokens = tokenize(sql, 100_000);
  const words = tokens.map((t) => (t.quoted ? '' : t.text.toUpperCase()));
  const at = (i: number) => words[i] ?? '';
  if (tokens.length === 0) return { kind: 'other' };
  switch (at(0)) {
    case 'BEGIN':
      return { kind: 'begin' };
    case 'COMMIT':
      return { kind: 'commit' };
    case 'ROLLBACK':
      // ROLLBACK TO SAVEPOINT continues the transaction.
      return at(1) === 'TO' ? { kind: 'other' } : { kind: 'rollback' };
    case 'XA':
      if (at(1) === 'COMMIT') return { kind: 'commit' };
      if (at(1) === 'ROLLBACK') return { kind: 'rollback' };
      return { kind: 'other' };
    default:
      break;
  }
  const reader = new TokenReader(tokens, defaultDatabase);
  const verb = reader.word();
  if (verb === 'TRUNCATE') {
    reader.optional('TABLE');
    const table = reader.tableName();
    return table ? { kind: 'truncate', table } : { kind: 'other' };
  }
  if (verb === 'ALTER' || verb === 'CREATE' || verb === 'DROP' || verb === 'RENAME') {
    // Modifiers that may stand between the verb and its object.
    reader.skipWords(['OR', 'REPLACE', 'ONLINE', 'OFFLINE', 'IGNORE', 'TEMPORARY', 'UNIQUE', 'FULLTEXT', 'SPATIAL', 'DEFINER', 'SQL', 'SECURITY', 'ALGORITHM']);
    const object = reader.word();
    if (object === 'DATABASE' || object === 'SCHEMA') {
      reader.skipIfExists();
      const database = reader.identifier();
      return database === undefined ? { kind: 'other' } : { kind: 'database-ddl', database };
    }
    if (object === 'TABLE' || object === 'TABLES') {
      reader.skipIfExists();
      if (verb === 'DROP' || verb === 'RENAME') return { kind: 'table-ddl', tables: reader.tableList() };
      const first = reader.tableName();
      if (!first) return { kind: 'other' };
      const tables = [first];
      // ALTER TABLE a RENAME [TO|AS] b
      if (verb === 'ALTER') {
        const renamed = reader.afterRename();
        if (renamed) tables.push(renamed);
      }
      return { kind: 'table-ddl', tables };
    }
    if (object === 'INDEX') {
      // CREATE INDEX i ON t / DROP INDEX i ON t
      const table = reader.afterWord('ON');
      return table ? { kind: 'table-ddl', tables: [table] } : { kind: 'other' };
    }
  }
  return { kind: 'other' };
}

export interface Token {
  text: string;
  quoted: boolean;
}

/** The first `limit` tokens: identifiers (`quoted` and bare), words, punctuation; comments and strings skipped. */
export function tokenize(sql: string, limit: number): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length && tokens.length < limit) {
    const c = sql[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '/' && sql[i + 1] === '*') {
      // MariaDB/MySQL executable comments (/*!50100 … */, /*M!100301 … */) hold statement text: read their content.
      const executable = /^\/\*M?!\d*/.exec(sql.slice(i));
      if (executable) {
        i += executable[0].length;
      } else {
        const end = sql.indexOf('*/', i + 2);
        i = end < 0 ? sql.length : end + 2;
      }
    } else if (c === '*' && sql[i + 1] === '/') {
      i += 2;
    } else if (c === '#' || (c === '-' && sql[i + 1] === '-' && /\s/.test(sql[i + 2] ?? ' '))) {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end + 1;
    } else if (c === '`') {
      let text = '';
      i++;
      while (i < sql.length) {
        if (sql[i] === '`') {
          if (sql[i + 1] === '`') {
            text += '`';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        text += sql[i];
        i++;
      }
      tokens.push({ text, quoted: true });
    } else if (c === "'" || c === '"') {
      // A string literal ("…" is an identifier only under ANSI_QUOTES, which binlogged DDL does not depend on here).
      i++;
      while (i < sql.length && sql[i] !== c) i += sql[i] === '\\' ? 2 : 1;
      i++;
      tokens.push({ text: '', quoted: true });
    } else if (/[\w$\u0080-\uffff]/.test(c)) {
      let j = i;
      while (j < sql.length && /[\w$\u0080-\uffff]/.test(sql[j]!)) j++;
      tokens.push({ text: sql.slice(i, j), quoted: false });
      i = j;
    } else {
      tokens.push({ text: c, quoted: false });
      i++;
    }
  }
  return tokens;
}

class TokenReader {
  private i = 0;
  constructor(private readonly tokens: Token[], private readonly defaultDatabase: string) {}

  private peek(offset = 0): Token | undefined {
    return this.tokens[this.i + offset];
  }

  private isWord(token: Token | undefined, word: string): boolean {
    return token !== undefined && !token.quoted && token.text.toUpperCase() === word;
  }

  word(): string {
    const token = this.tokens[this.i++];
    return token && !token.quoted ? token.text.toUpperCase() : '';
  }

  optional(word: string): void {
    if (this.isWord(this.peek(), word)) this.i++;
  }

  skipWords(words: string[]): void {
    for (;;) {
      const token = this.peek();
      if (!token || token.quoted) return;
      const upper = token.text.toUpperCase();
      if (words.includes(upper)) {
        this.i++;
        continue;
      }
      // DEFINER = user@host, ALGORITHM = …: skip the assignment's value.
      if (token.text === '=') {
        this.i += 2;
        if (this.peek()?.text === '@') this.i += 2;
        continue;
      }
      return;
    }
  }

  skipIfExists(): void {
    if (this.isWord(this.peek(), 'IF') && this.isWord(this.peek(1), 'NOT') && this.isWord(this.peek(2), 'EXISTS')) this.i += 3;
    else if (this.isWord(this.peek(), 'IF') && this.isWord(this.peek(1), 'EXISTS')) this.i += 2;
  }

  identifier(): string | undefined {
    const token = this.tokens[this.i];
    if (!token || (!token.quoted && !/^[\w$\u0080-\uffff]+$/.test(token.text))) return undefined;
    this.i++;
    return token.text;
  }

  /** `db`.`t`, db.t, `t`, t. */
  tableName(): TableId | undefined {
    const first = this.identifier();
    if (first === undefined) return undefined;
    if (this.peek()?.text === '.' && !this.peek()?.quoted) {
      this.i++;
      const second = this.identifier();
      return second === undefined ? undefined : { namespace: first, name: second };
    }
    return { namespace: this.defaultDatabase, name: first };
  }

  /** DROP TABLE a, b … / RENAME TABLE a TO b, c TO d: every table named. */
  tableList(): TableId[] {
    const tables: TableId[] = [];
    for (;;) {
      const table = this.tableName();
      if (!table) break;
      tables.push(table);
      const next = this.peek();
      if (next?.text === ',' || this.isWord(next, 'TO')) {
        this.i++;
        continue;
      }
      break;
    }
    return tables;
  }

  /** The table after the first RENAME [TO|AS] in the rest of the statement (ALTER TABLE … RENAME TO b). */
  afterRename(): TableId | undefined {
    while (this.i < this.tokens.length) {
      if (this.isWord(this.peek(), 'RENAME') && !this.isWord(this.peek(1), 'COLUMN') && !this.isWord(this.peek(1), 'INDEX') && !this.isWord(this.peek(1), 'KEY')) {
        this.i++;
        if (this.isWord(this.peek(), 'TO') || this.isWord(this.peek(), 'AS')) this.i++;
        return this.tableName();
      }
      this.i++;
    }
    return undefined;
  }

  afterWord(word: string): TableId | undefined {
    while (this.i < this.tokens.length) {
      if (this.isWord(this.peek(), word)) {
        this.i++;
        return this.tableName();
      }
      this.i++;
    }
    return undefined;
  }
}
