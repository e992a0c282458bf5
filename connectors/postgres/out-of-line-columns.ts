/**
 * Which columns of a table PostgreSQL can store out of line (TOAST), so that an UPDATE leaving them
 * unchanged sends no value for them in pgoutput. Read from the catalog by `check`; pure, so it is unit-tested.
 *
 * PostgreSQL (heap_toast_insert_or_update) toasts a row only when it is longer than TOAST_TUPLE_THRESHOLD
 * (~2 kB), and then moves varlena values out of line, biggest first, until the row fits the table's
 * `toast_tuple_target` (default the same ~2 kB); `main` storage only once the row exceeds a page's worth.
 * So a column can be out of line only if it is varlena (typlen -1), its storage is not `plain`, its values
 * can be longer than a TOAST pointer, and the row can still be too long when every bigger value has been
 * replaced by a pointer. varchar(45) or numeric(5,2) next to a few other small columns never can.
 */

/** One column as the catalog describes it (the base type of a domain). */
export interface CatalogColumn {
  name: string;
  /** pg_attribute.attstorage: plain, external, main, extended. */
  storage: 'p' | 'e' | 'm' | 'x';
  /** The base type's typlen: > 0 fixed, -1 varlena, -2 C string. */
  typlen: number;
  /** The base type's oid. */
  typeOid: number;
  /** atttypmod (a domain's typtypmod); -1 when none. */
  typmod: number;
  /** For a range type: its subtype's typlen; else null. */
  rangeSubtypeLen: number | null;
}

/** TOAST_TUPLE_THRESHOLD and the default toast_tuple_target with 8 kB pages. */
export const TOAST_TUPLE_THRESHOLD = 2032;
/** TOAST_TUPLE_TARGET_MAIN with 8 kB pages: `main` values move out of line only past this. */
const TOAST_TUPLE_TARGET_MAIN = 8160;
/** A heap tuple header (23 bytes, aligned). */
const TUPLE_HEADER = 24;
/** A TOAST pointer in the row (varatt_external + its 2-byte header); nothing shorter is moved out. */
const TOAST_POINTER = 18;
const VARHDR = 4;

const OID = { bpchar: 1042, varchar: 1043, bit: 1560, varbit: 1562, numeric: 1700, inet: 869, cidr: 650 } as const;

/**
 * The longest value a column can hold in the row, in bytes; Infinity when unbounded. `encodingMaxLength`
 * is the database encoding's longest character (pg_encoding_max_length: 4 for UTF8).
 */
export function maxStoredBytes(c: CatalogColumn, encodingMaxLength: number): number {
  if (c.typlen > 0) return c.typlen;
  if (c.typlen !== -1) return Infinity;
  const mod = c.typmod;
  switch (c.typeOid) {
    case OID.varchar:
    case OID.bpchar:
      // typmod = n + 4 characters.
      return mod >= 4 ? VARHDR + (mod - 4) * encodingMaxLength : Infinity;
    case OID.bit:
    case OID.varbit:
      // typmod = n bits; stored as a bit count and the bytes.
      return mod >= 0 ? VARHDR + 4 + Math.ceil(mod / 8) : Infinity;
    case OID.numeric: {
      if (mod < 4) return Infinity;
      // typmod = (precision << 16 | scale) + 4; base-10000 digits of 2 bytes, one more when the point splits a group.
      const precision = ((mod - 4) >> 16) & 0xffff;
      return VARHDR + 4 + 2 * (Math.ceil(precision / 4) + 1);
    }
    case OID.inet:
    case OID.cidr:
      return VARHDR + 3 + 16;
    default:
      // A range of a fixed-length subtype: flags and both bounds.
      if (c.rangeSubtypeLen !== null && c.rangeSubtypeLen > 0) return VARHDR + 4 + 1 + 2 * c.rangeSubtypeLen + 8;
      return Infinity;
  }
}

/**
 * The names of the columns whose values PostgreSQL can store out of line, in table order. `toastTupleTarget`
 * is the table's toast_tuple_target storage parameter (null: the default).
 */
export function outOfLineColumns(columns: readonly CatalogColumn[], encodingMaxLength: number, toastTupleTarget: number | null = null): string[] {
  const sizes = columns.map((c) => maxStoredBytes(c, encodingMaxLength));
  const movable = columns.map((c) => c.typlen === -1 && c.storage !== 'p');
  const wholeRow = TUPLE_HEADER + sizes.reduce((sum, s) => sum + s, 0);
  // No row this table can hold is long enough for PostgreSQL to start toasting.
  if (!(wholeRow > TOAST_TUPLE_THRESHOLD)) return [];
  const target = toastTupleTarget ?? TOAST_TUPLE_THRESHOLD;
  const result: string[] = [];
  columns.forEach((c, i) => {
    const own = sizes[i]!;
    if (!movable[i] || !(own > TOAST_POINTER)) return;
    // The longest the row can be when this value's turn comes: every value longer than it is a pointer by then.
    let row = TUPLE_HEADER;
    sizes.forEach((s, j) => {
      row += movable[j] && j !== i ? Math.min(s, Math.max(own, TOAST_POINTER)) : s;
    });
    const limit = c.storage === 'm' ? TOAST_TUPLE_TARGET_MAIN : target;
    if (row > limit) result.push(c.name);
  });
  return result;
}
