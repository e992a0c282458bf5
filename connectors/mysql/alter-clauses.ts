import { type Token, tokenize } from './ddl-statement.js';

/** What one clause of an ALTER TABLE statement does to columns (only what can change existing rows' values). */
export type AlterClause =
  | { kind: 'add-column'; column: string }
  /** MODIFY c … (`to` = `column`) or CHANGE old new …. */
  | { kind: 'retype-column'; column: string; to: string }
  | { kind: 'convert-charset' };

/** Words after ADD that make it something other than a column. */
const NOT_A_COLUMN = new Set(['INDEX', 'KEY', 'PRIMARY', 'UNIQUE', 'FOREIGN', 'CONSTRAINT', 'FULLTEXT', 'SPATIAL', 'CHECK', 'PARTITION', 'PERIOD', 'SYSTEM', 'VECTOR']);

/**
 * The column clauses of an `ALTER TABLE t …` statement (empty for any other statement): ADD [COLUMN] (one or a
 * parenthesised list), MODIFY, CHANGE, CONVERT TO CHARACTER SET. Identifiers keep their spelling.
 */
export function alterClauses(sql: string): AlterClause[] {
  const tokens = tokenize(sql, 100_000);
  const word = (t: Token | undefined): string => (t && !t.quoted ? t.text.toUpperCase() : '');
  let i = 0;
  if (word(tokens[i++]) !== 'ALTER') return [];
  while (['ONLINE', 'OFFLINE', 'IGNORE'].includes(word(tokens[i]))) i++;
  if (word(tokens[i++]) !== 'TABLE') return [];
  if (word(tokens[i]) === 'IF' && word(tokens[i + 1]) === 'EXISTS') i += 2;
  // The table name: ident or ident.ident.
  i++;
  if (tokens[i]?.text === '.' && !tokens[i]?.quoted) i += 2;
  // WAIT n / NOWAIT (MariaDB) before the clauses.
  if (word(tokens[i]) === 'WAIT') i += 2;
  else if (word(tokens[i]) === 'NOWAIT') i++;

  const clauses: Token[][] = [];
  let current: Token[] = [];
  let depth = 0;
  for (; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (!t.quoted && t.text === '(') depth++;
    if (!t.quoted && t.text === ')') depth--;
    if (depth === 0 && !t.quoted && (t.text === ',' || t.text === ';')) {
      clauses.push(current);
      current = [];
      continue;
    }
    current.push(t);
  }
  clauses.push(current);

  const result: AlterClause[] = [];
  for (const clause of clauses) {
    let j = 0;
    const verb = word(clause[j++]);
    const skipColumnWord = () => { if (word(clause[j]) === 'COLUMN') j++; };
    const skipIf = (exists: string[]) => {
      if (word(clause[j]) === 'IF' && exists.every((w, k) => word(clause[j + 1 + k]) === w)) j += 1 + exists.length;
    };
    const ident = (): string | undefined => {
      const t = clause[j];
      if (!t || (!t.quoted && !/^[\w$\u0080-\uffff]+$/.test(t.text))) return undefined;
      j++;
      return t.text;
    };
    if (verb === 'ADD') {
      skipColumnWord();
      skipIf(['NOT', 'EXISTS']);
      if (NOT_A_COLUMN.has(word(clause[j]))) continue;
      if (clause[j]?.text === '(' && !clause[j]?.quoted) {
        // ADD (a int, b int): the first identifier of each part at depth 1.
        let d = 0;
        let expectName = true;
        for (; j < clause.length; j++) {
          const t = clause[j]!;
          if (!t.quoted && t.text === '(') { d++; if (d === 1) { expectName = true; continue; } }
          if (!t.quoted && t.text === ')') d--;
          if (d === 1 && !t.quoted && t.text === ',') { expectName = true; continue; }
          if (d === 1 && expectName) {
            expectName = false;
            if (!NOT_A_COLUMN.has(word(t))) result.push({ kind: 'add-column', column: t.text });
          }
        }
        continue;
      }
      const column = ident();
      if (column !== undefined) result.push({ kind: 'add-column', column });
    } else if (verb === 'MODIFY') {
      skipColumnWord();
      skipIf(['EXISTS']);
      const column = ident();
      if (column !== undefined) result.push({ kind: 'retype-column', column, to: column });
    } else if (verb === 'CHANGE') {
      skipColumnWord();
      skipIf(['EXISTS']);
      const column = ident();
      const to = ident();
      if (column !== undefined && to !== undefined) result.push({ kind: 'retype-column', column, to });
    } else if (verb === 'CONVERT' && word(clause[j]) === 'TO') {
      result.push({ kind: 'convert-charset' });
    }
  }
  return result;
}
