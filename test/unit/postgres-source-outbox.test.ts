import { describe, expect, it } from 'vitest';
import { OutboxFormatError, parseOutboxContent } from '../../connectors/postgres/outbox-message.js';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('outbox message content', () => {
  it('reads topic, key and any JSON value', () => {
    expect(parseOutboxContent(bytes('{"topic":"orders.events","key":"42","value":{"total":"12.50","items":[1,2]}}'))).toEqual({
      topic: 'orders.events', key: '42', value: { total: '12.50', items: [1, 2] },
    });
    expect(parseOutboxContent(bytes('{"topic":"t","value":null}'))).toEqual({ topic: 't', key: null, value: null });
    expect(parseOutboxContent(bytes('{"topic":"t","key":null,"value":"ü"}'))).toEqual({ topic: 't', key: null, value: 'ü' });
  });

  it('refuses anything else, saying why', () => {
    const cases: Array<[string | Uint8Array, RegExp]> = [
      ['not json', /not UTF-8 JSON/],
      [new Uint8Array([0x7b, 0xff, 0x7d]), /not UTF-8 JSON/],
      ['[1]', /not a JSON object/],
      ['{"key":"1","value":1}', /"topic"/],
      ['{"topic":"","value":1}', /"topic"/],
      ['{"topic":"t","key":1,"value":1}', /"key"/],
      ['{"topic":"t","key":"k"}', /"value" is missing/],
      ['{"topic":"t","value":1,"headers":{}}', /unknown field "headers"/],
    ];
    for (const [content, reason] of cases) {
      const input = typeof content === 'string' ? bytes(content) : content;
      expect(() => parseOutboxContent(input)).toThrow(OutboxFormatError);
      expect(() => parseOutboxContent(input)).toThrow(reason);
    }
  });
});
