import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { daysFromCivil, daysInMonth, parseDateText, parseDateTimeText, parseTimeText } from '../../connectors/mysql/temporal-text.js';

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** Oracle: JavaScript's own proleptic Gregorian calendar (setUTCFullYear, so years below 100 are not shifted). */
const epochMillis = (year: number, month: number, day: number, hour = 0, minute = 0, second = 0): number => {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  return date.getTime();
};

const calendarDate = fc
  .record({ year: fc.integer({ min: 1, max: 9999 }), month: fc.integer({ min: 1, max: 12 }), day: fc.integer({ min: 1, max: 31 }) })
  .filter(({ year, month, day }) => day <= daysInMonth(year, month));
const fractionDigits = fc.integer({ min: 0, max: 6 });

describe('MySQL DATE/DATETIME text → days and microseconds', () => {
  it('counts days like the proleptic Gregorian calendar', () => {
    fc.assert(
      fc.property(calendarDate, ({ year, month, day }) => {
        const text = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
        expect(parseDateText(text)).toBe(epochMillis(year, month, day) / 86_400_000);
      }),
    );
  });

  it('reads DATETIME with 0–6 fractional digits to the microsecond', () => {
    fc.assert(
      fc.property(calendarDate, fc.integer({ min: 0, max: 86_399 }), fractionDigits, fc.integer({ min: 0, max: 999_999 }), (d, secondOfDay, digits, micro) => {
        const [hour, minute, second] = [Math.floor(secondOfDay / 3600), Math.floor(secondOfDay / 60) % 60, secondOfDay % 60];
        const fraction = digits === 0 ? '' : `.${pad(micro, 6).slice(0, digits)}`;
        const micros = digits === 0 ? 0 : Number(pad(micro, 6).slice(0, digits).padEnd(6, '0'));
        const text = `${pad(d.year, 4)}-${pad(d.month, 2)}-${pad(d.day, 2)} ${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}${fraction}`;
        expect(parseDateTimeText(text)).toBe(BigInt(epochMillis(d.year, d.month, d.day, hour, minute, second)) * 1000n + BigInt(micros));
      }),
    );
  });

  it('reads the DATETIME(6) range ends exactly', () => {
    expect(parseDateTimeText('1000-01-01 00:00:00.000000')).toBe(-30_610_224_000_000_000n);
    expect(parseDateTimeText('9999-12-31 23:59:59.999999')).toBe(253_402_300_799_999_999n);
    expect(parseDateTimeText('1969-12-31 23:59:59.999999')).toBe(-1n);
  });

  it('returns undefined for the zero date and refuses partial zeros and impossible days', () => {
    expect(parseDateText('0000-00-00')).toBeUndefined();
    expect(parseDateTimeText('0000-00-00 00:00:00')).toBeUndefined();
    expect(parseDateTimeText('0000-00-00 00:00:00.000000')).toBeUndefined();
    expect(() => parseDateText('2020-00-15')).toThrow(/not a calendar date/);
    expect(() => parseDateText('2020-01-00')).toThrow(/not a calendar date/);
    expect(() => parseDateText('2004-02-31')).toThrow(/not a calendar date/);
    expect(() => parseDateTimeText('0000-00-00 10:00:00')).toThrow(/zero date with a non-zero time/);
    expect(() => parseDateTimeText('2020-01-01T00:00:00')).toThrow(/malformed/);
    expect(() => parseDateText('2020-1-01')).toThrow(/malformed/);
  });

  it('treats year 0 as a leap year (1 BC), like ISO 8601', () => {
    expect(daysFromCivil(0, 3, 1) - daysFromCivil(0, 2, 28)).toBe(2);
    expect(daysFromCivil(1, 1, 1)).toBe(-719_162);
  });
});

describe('MySQL TIME text → signed microseconds', () => {
  const timeText = (negative: boolean, hour: number, minute: number, second: number, fraction: string): string =>
    `${negative ? '-' : ''}${pad(hour, hour > 99 ? 3 : 2)}:${pad(minute, 2)}:${pad(second, 2)}${fraction}`;
  const timeValue = fc.record({
    negative: fc.boolean(),
    hour: fc.integer({ min: 0, max: 838 }),
    minute: fc.integer({ min: 0, max: 59 }),
    second: fc.integer({ min: 0, max: 59 }),
    digits: fractionDigits,
    micro: fc.integer({ min: 0, max: 999_999 }),
  });

  it('reads the value the server printed, with 0–6 fractional digits', () => {
    fc.assert(
      fc.property(timeValue, ({ negative, hour, minute, second, digits, micro }) => {
        const fractionText = digits === 0 ? '' : pad(micro, 6).slice(0, digits);
        const micros = BigInt(((hour * 60 + minute) * 60 + second) * 1_000_000 + Number(fractionText.padEnd(6, '0') || '0'));
        const expected = negative && micros !== 0n ? -micros : micros;
        const text = timeText(negative && micros !== 0n, hour, minute, second, digits ? `.${fractionText}` : '');
        expect(parseTimeText(text, 'exact')).toBe(expected);
        // Whatever zongji does not misprint reads the same in every form.
        if (!(negative && micros !== 0n && Number(fractionText || '0') === 0 && second === 0)) {
          expect(parseTimeText(text, 'time2')).toBe(expected);
          expect(parseTimeText(text, 'classic')).toBe(expected);
        }
      }),
    );
  });

  it('reads the range ends and beyond-24-hour values', () => {
    expect(parseTimeText('-838:59:59.000000', 'time2')).toBe(-3_020_399_000_000n);
    expect(parseTimeText('838:59:59', 'time2')).toBe(3_020_399_000_000n);
    expect(parseTimeText('-00:00:00.000001', 'time2')).toBe(-1n);
    expect(parseTimeText('100:00:00.5', 'time2')).toBe(360_000_500_000n);
    // MariaDB's 5.3 "hires" TIME is printed exactly by zongji, zero seconds included.
    expect(parseTimeText('-01:00:00.000', 'exact')).toBe(-3_600_000_000n);
  });

  // zongji 0.9.0 prints a negative TIME2 with a zero fraction from the packed fields of |value| − 1 second and then
  // adds one to the seconds field alone (lib/common.js, TIME2 case). This simulation of that printing is hand-built
  // from reading the library; real captures of the same output are in mysql-row-decoder.test.ts.
  const zongjiTime2Text = (hour: number, minute: number, second: number, fraction: string): string => {
    const packedMinusOne = ((hour << 12) | (minute << 6) | second) - 1;
    return timeText(true, packedMinusOne >> 12, (packedMinusOne >> 6) & 63, (packedMinusOne & 63) + 1, fraction);
  };
  // The same for the pre-MySQL-5.6 TIME format (HHMMSS as a decimal integer; hand-built, not capturable on MariaDB 10.11
  // without changing the server-wide mysql56_temporal_format).
  // zongji pads fields with zeroPad(n, 2), which keeps the last two digits: a seconds field of 100 prints as '00'.
  const zongjiClassicTimeText = (hour: number, minute: number, second: number): string => {
    const hhmmssMinusOne = hour * 10_000 + minute * 100 + second - 1;
    return timeText(true, Math.floor(hhmmssMinusOne / 10_000), Math.floor(hhmmssMinusOne / 100) % 100, ((hhmmssMinusOne % 100) + 1) % 100, '');
  };

  // Zero seconds and minutes are where the borrow happens: make them common.
  const borrowProne = fc.record({
    hour: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 838 })),
    minute: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 59 })),
    second: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 59 })),
  });

  it('undoes zongji’s borrow in every negative TIME2 with a zero fraction', () => {
    fc.assert(
      fc.property(borrowProne, fc.constantFrom('', '.0', '.000', '.000000'), ({ hour, minute, second }, fraction) => {
        fc.pre(hour + minute + second > 0);
        const micros = BigInt(((hour * 60 + minute) * 60 + second) * 1_000_000);
        expect(parseTimeText(zongjiTime2Text(hour, minute, second, fraction), 'time2')).toBe(-micros);
      }),
      { numRuns: 1000 },
    );
    expect(zongjiTime2Text(1, 0, 0, '')).toBe('-00:63:64'); // as captured from MariaDB 10.11 (mysql-row-decoder.test.ts)
  });

  it('undoes the same borrow in the pre-5.6 TIME format', () => {
    fc.assert(
      fc.property(borrowProne, ({ hour, minute, second }) => {
        fc.pre(hour + minute + second > 0);
        expect(parseTimeText(zongjiClassicTimeText(hour, minute, second), 'classic')).toBe(-BigInt(((hour * 60 + minute) * 60 + second) * 1_000_000));
      }),
      { numRuns: 1000 },
    );
    expect(zongjiClassicTimeText(1, 0, 0)).toBe('-00:99:00');
  });

  it('refuses what cannot be a time', () => {
    expect(() => parseTimeText('12:60:00', 'time2')).toThrow(/malformed/);
    expect(() => parseTimeText('839:00:00', 'time2')).toThrow(/malformed/);
    expect(() => parseTimeText('1:00:00', 'time2')).toThrow(/malformed/);
    expect(() => parseTimeText('01:00:00.1234567', 'time2')).toThrow(/malformed/);
  });
});
