import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gtidText, parseGtid, parseGtidState } from '../../connectors/mysql/gtid-set.js';

/** The cursor parses a transaction's GTID once and adds it parsed; that must equal adding its text. */
describe('GTIDs added as parsed', () => {
  const mariadb = fc.tuple(fc.nat({ max: 3 }), fc.nat({ max: 5 }), fc.bigInt({ min: 1n, max: 2n ** 64n - 1n })).map(([d, s, q]) => `${d}-${s}-${q}`);
  const uuids = ['3e11fa47-71ca-11e1-9e33-c80aa9429562', '4F0B6F3A-0000-11EE-8000-000000000001'];
  const mysql = fc.tuple(fc.constantFrom(...uuids), fc.constantFrom('', 'tag_a:'), fc.bigInt({ min: 1n, max: 40n })).map(([u, t, n]) => `${u}:${t}${n}`);

  it('give the same state as adding the text, in either flavour', () => {
    for (const [start, gtid] of [['0-1-1', mariadb], [`${uuids[0]}:1-3`, mysql]] as const) {
      fc.assert(fc.property(fc.array(gtid, { maxLength: 20 }), (gtids) => {
        const byText = parseGtidState(start);
        const byParsed = parseGtidState(start);
        for (const g of gtids) {
          byText.add(g);
          byParsed.add(parseGtid(g));
        }
        expect(byParsed.toString()).toBe(byText.toString());
      }));
    }
  });

  it('print a GTID in canonical form', () => {
    expect(gtidText(parseGtid('00-01-042'))).toBe('0-1-42');
    expect(gtidText(parseGtid(`${uuids[1]}:TAG_A:7`))).toBe('4f0b6f3a-0000-11ee-8000-000000000001:tag_a:7');
    expect(() => parseGtidState('0-1-5').add(parseGtid(`${uuids[0]}:1`))).toThrow(`cannot add MySQL GTID ${uuids[0]}:1 to a MariaDB GTID position`);
  });
});
