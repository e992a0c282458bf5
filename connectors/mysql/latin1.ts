/**
 * MySQL's `latin1` is Windows-1252 with the five bytes that Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90,
 * 0x9D) mapped to the C1 controls of the same number — what the server itself does converting latin1 to Unicode.
 * iconv-lite's cp1252 (which zongji uses) turns those five into U+FFFD, so logtap has zongji hand over latin1
 * text one character per byte (charset `binary`) and maps it here.
 */
const HIGH_CONTROLS = [
  0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d, 0x017d, 0x008f,
  0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178,
];

const NEEDS_MAPPING = /[\u0080-\u009f]/;
const MAPPED = /[\u0080-\u009f]/g;
const mapOne = (c: string): string => String.fromCharCode(HIGH_CONTROLS[c.charCodeAt(0) - 0x80]!);

/** Text whose code units are latin1 bytes (U+0000–U+00FF) → the Unicode text MySQL means by those bytes. */
export function latin1BytesToText(byteString: string): string {
  return NEEDS_MAPPING.test(byteString) ? byteString.replace(MAPPED, mapOne) : byteString;
}
