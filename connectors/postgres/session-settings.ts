/**
 * The session settings under which the text decoder (text-decoder.ts) reads PostgreSQL's value text exactly.
 * The walsender formats pgoutput tuple values with the type output functions under ITS OWN session's
 * settings, so they must reach the replication connection in the startup packet's `options`.
 */
export const REQUIRED_SESSION_SETTINGS = {
  /** `YYYY-MM-DD HH:MM:SS[.ffffff][+HH[:MM[:SS]]][ BC]`; the field order part (MDY/DMY) only affects input. */
  DateStyle: 'ISO',
  /** timestamptz arrives as UTC (`+00`); the decoder also reads any other offset exactly. */
  TimeZone: 'UTC',
  /** `P1Y2M3DT4H5M6.789S`: every field signed on its own, months/days/time kept apart. */
  IntervalStyle: 'iso_8601',
  /** Any value > 0 gives the shortest text that reads back to the same float4/float8 (PostgreSQL ≥ 12). */
  extra_float_digits: '3',
  /** `\x…`; the `escape` format is not read. */
  bytea_output: 'hex',
  /** money as `-$1,234.56`: C locale's '$', ',' and 2 fraction digits, whatever the database's locale. */
  lc_monetary: 'C',
  /** pq_sendcountedtext converts values to the client encoding; the decoder reads UTF-8. */
  client_encoding: 'UTF8',
} as const;

export type SessionSettings = Readonly<Record<string, string>>;

/** The libpq `options` value, `-c DateStyle=ISO -c TimeZone=UTC …` (values must not contain spaces). */
export function sessionOptions(settings: SessionSettings = REQUIRED_SESSION_SETTINGS): string {
  return Object.entries(settings)
    .map(([name, value]) => {
      if (/[\s\\]/.test(name) || /[\s\\]/.test(value)) throw new Error(`session setting ${name}=${value} must not contain spaces or backslashes`);
      return `-c ${name}=${value}`;
    })
    .join(' ');
}

/** Adds the settings to a `postgres://` URL as its `options` parameter (replacing one already there). */
export function withSessionOptions(connectionString: string, settings: SessionSettings = REQUIRED_SESSION_SETTINGS): string {
  const url = new URL(connectionString);
  url.searchParams.set('options', sessionOptions(settings));
  return url.toString();
}
