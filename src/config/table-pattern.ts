import type { TableId } from '../model/table-schema.js';

/**
 * A `namespace.table` name as written in the config, exact or a glob: `*` stands for any run of characters and
 * `?` for one, within its part (neither crosses the dot), so `public.*` is every table of schema public and
 * `shop.orders_*` every table of shop whose name starts with `orders_`. Matching is case-sensitive, as the
 * sources name their tables.
 */
export interface TablePattern {
  readonly text: string;
  /** Holds `*` or `?`: matches tables by shape, including tables created later. */
  readonly isGlob: boolean;
  matches(id: TableId): boolean;
}

export const isGlobText = (text: string): boolean => /[*?]/.test(text);

const partRegex = (part: string): RegExp =>
  new RegExp(`^${part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 's');

/** `text` must be `namespace.table` (validated by the config schema); null when it is not. */
export function tablePattern(text: string): TablePattern | null {
  const dot = text.indexOf('.');
  if (dot <= 0 || dot === text.length - 1 || text.indexOf('.', dot + 1) >= 0) return null;
  const namespace = text.slice(0, dot);
  const name = text.slice(dot + 1);
  if (!isGlobText(text)) return { text, isGlob: false, matches: (id) => id.namespace === namespace && id.name === name };
  const ns = partRegex(namespace);
  const tb = partRegex(name);
  return { text, isGlob: true, matches: (id) => ns.test(id.namespace) && tb.test(id.name) };
}

/**
 * Which tables a connector captures: `source.tables` (undefined: every table) less `source.excludeTables`.
 * Connectors resolve it against their catalog (and again for tables created while streaming).
 */
export interface TableFilter {
  /** The patterns of `source.tables`; undefined: every table. */
  readonly include: readonly TablePattern[] | undefined;
  readonly exclude: readonly TablePattern[];
  /** Every pattern is an exact name and nothing is excluded: the set of tables is fixed by the config alone. */
  readonly exactOnly: boolean;
  captures(id: TableId): boolean;
}

export function tableFilter(include: readonly string[] | undefined, exclude: readonly string[] = []): TableFilter {
  const parse = (text: string, key: string): TablePattern => {
    const pattern = tablePattern(text);
    if (!pattern) throw new Error(`${key}: ${JSON.stringify(text)} is not namespace.table`);
    return pattern;
  };
  const inc = include?.map((t) => parse(t, 'source.tables'));
  const exc = exclude.map((t) => parse(t, 'source.excludeTables'));
  return {
    include: inc,
    exclude: exc,
    exactOnly: inc !== undefined && exc.length === 0 && inc.every((p) => !p.isGlob),
    captures: (id) => (inc === undefined || inc.some((p) => p.matches(id))) && !exc.some((p) => p.matches(id)),
  };
}
