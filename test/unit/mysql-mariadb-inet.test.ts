import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { inet4Text, inet6Text, uuidText } from '../../connectors/mysql/mariadb-inet.js';
import { latin1BytesToText } from '../../connectors/mysql/latin1.js';

const bytesOfInet6 = (groups: number[]): Uint8Array => {
  const bytes = new Uint8Array(16);
  groups.forEach((group, i) => {
    bytes[i * 2] = group >> 8;
    bytes[i * 2 + 1] = group & 0xff;
  });
  return bytes;
};

describe('MariaDB INET6 text', () => {
  // Left: the address written as all eight groups; right: CAST(CAST(x AS INET6) AS CHAR) on MariaDB 10.11.19 (CAPTURED).
  const SERVER_OUTPUT: [number[], string][] = [
    [[0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304], '::ffff:1.2.3.4'],
    [[0, 0, 0, 0, 0, 0, 0x0102, 0x0304], '::1.2.3.4'],
    [[0, 0, 0, 0, 0, 0, 0, 1], '::1'],
    [[1, 0, 0, 1, 0, 0, 0, 1], '1:0:0:1::1'],
    [[1, 0, 0, 1, 0, 0, 1, 1], '1::1:0:0:1:1'],
    [[0, 0, 0, 0, 0, 1, 0, 0], '::1:0:0'],
    [[0, 0, 0, 0, 0, 0, 0, 2], '::2'],
    [[1, 0, 0, 0, 0, 0, 0, 0], '1::'],
    [[0, 0, 0, 0, 0, 0xfffe, 0x0102, 0x0304], '::fffe:102:304'],
    [[1, 2, 3, 4, 5, 6, 7, 0], '1:2:3:4:5:6:7::'],
    [[0, 0, 0, 0, 0, 0, 1, 0], '::0.1.0.0'],
    [[0, 0, 0, 0, 0, 0xffff, 0, 0], '::ffff:0.0.0.0'],
    [[0, 0, 0, 0, 0, 0xffff, 0, 1], '::ffff:0.0.0.1'],
    [[0, 0, 0, 0, 1, 0, 0, 0], '::1:0:0:0'],
    [[1, 0, 2, 3, 4, 5, 6, 7], '1::2:3:4:5:6:7'],
    [[0x2001, 0xdb8, 0, 0, 0, 0, 0, 1], '2001:db8::1'],
    [[0, 0, 0, 0, 0, 0, 0, 0], '::'],
  ];

  for (const [groups, text] of SERVER_OUTPUT) {
    it(`prints ${text} as the server does`, () => expect(inet6Text(bytesOfInet6(groups))).toBe(text));
  }

  it('always prints text that parses back to the same address', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 }), (groups) => {
        const text = inet6Text(bytesOfInet6(groups));
        expect(parseInet6(text)).toEqual(groups);
      }),
    );
  });
});

/** Test-side oracle: expands '::' and a dotted IPv4 tail back into eight groups. */
function parseInet6(text: string): number[] {
  let tail: number[] = [];
  const dotted = /:(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    tail = [(a << 8) | b, (c << 8) | d];
    text = text.slice(0, dotted.index + 1);
    if (!text.endsWith('::')) text = text.slice(0, -1);
  }
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)));
  const halves = text.split('::');
  if (halves.length === 1) return [...parse(halves[0]!), ...tail];
  const left = parse(halves[0]!);
  const right = [...parse(halves[1]!), ...tail];
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}

describe('INET4 and UUID text', () => {
  it('prints INET4 dotted and UUID in lower-case 8-4-4-4-12 (CAPTURED bytes → server text)', () => {
    expect(inet4Text(Uint8Array.from([192, 168, 0, 1]))).toBe('192.168.0.1');
    expect(uuidText(Buffer.from('6ccd780cbaba102695645b8c656024db', 'hex'))).toBe('6ccd780c-baba-1026-9564-5b8c656024db');
    expect(uuidText(new Uint8Array(16).fill(0xff))).toBe('ffffffff-ffff-ffff-ffff-ffffffffffff');
  });
});

describe('MySQL latin1', () => {
  it('maps the 0x80–0x9F bytes as the server converts them (CAPTURED: HEX(CONVERT(x USING utf8mb4)))', () => {
    // 0x41 0x81 0x8D 0x8F 0x90 0x9D 0x80 0xFF → 41 C281 C28D C28F C290 C29D E282AC C3BF
    expect(Buffer.from(latin1BytesToText('\x41\x81\x8d\x8f\x90\x9d\x80\xff'), 'utf8').toString('hex')).toBe('41c281c28dc28fc290c29de282acc3bf');
    expect(latin1BytesToText('\x93quoted\x94 \x85')).toBe('“quoted” …');
    expect(latin1BytesToText('plain ÿ')).toBe('plain ÿ');
  });
});
