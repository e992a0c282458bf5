/**
 * Avro names must match [A-Za-z_][A-Za-z0-9_]*. Source names (columns, tables, enum labels) may hold any
 * character, so they are mapped to valid names; the original is kept in the schema beside the valid one.
 */
const VALID = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function avroName(source: string): string {
  if (VALID.test(source)) return source;
  let out = '';
  for (const ch of source) out += /[A-Za-z0-9_]/.test(ch) ? ch : '_';
  if (out === '' || /^[0-9]/.test(out)) out = `_${out}`;
  return out;
}

/**
 * Valid, distinct names for a list of source names, in order: a name that collides with an earlier one
 * (`a b` and `a_b`) gets a numeric suffix, so the mapping stays one-to-one.
 */
export function distinctAvroNames(sources: readonly string[]): string[] {
  const taken = new Set<string>();
  return sources.map((source) => {
    const base = avroName(source);
    let name = base;
    for (let i = 2; taken.has(name); i++) name = `${base}_${i}`;
    taken.add(name);
    return name;
  });
}

/** A dotted namespace from source parts (`shop`, `public`, `orders`), each made valid. */
export function avroNamespace(parts: readonly string[]): string {
  return parts.map(avroName).join('.');
}
