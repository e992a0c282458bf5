import { describe, expect, it } from 'vitest';
import { derivedObjectName, parseTableName, quoteIdent, quoteLiteral, quoteTable } from '../../connectors/postgres/pg-identifiers.js';
import { postgresObjectNames } from '../../connectors/postgres/postgres-connector.js';
import { diffPublication, type PublicationState } from '../../connectors/postgres/publication.js';

describe('slot and publication names', () => {
  it('are logtap_<name> for names that are already valid slot names', () => {
    expect(derivedObjectName('orders')).toBe('logtap_orders');
    expect(derivedObjectName('shop_2')).toBe('logtap_shop_2');
    expect(postgresObjectNames('orders')).toEqual({ slot: 'logtap_orders', publication: 'logtap_orders' });
  });

  it('keep to [a-z0-9_] and 63 characters, with a hash of the original when it had to change', () => {
    const names = ['Orders', 'orders', 'shop.orders', 'shop-orders', 'shop_orders', 'x'.repeat(100), `${'x'.repeat(99)}y`];
    const derived = names.map((n) => derivedObjectName(n));
    for (const d of derived) {
      expect(d).toMatch(/^logtap_[a-z0-9_]+$/);
      expect(d.length).toBeLessThanOrEqual(63);
    }
    // No two connector names share a slot.
    expect(new Set(derived).size).toBe(names.length);
    expect(derivedObjectName('shop-orders')).toMatch(/^logtap_shop_orders_[0-9a-f]{8}$/);
    // Stable across versions: the slot of a running connector must be found again.
    expect(derivedObjectName('shop-orders')).toBe('logtap_shop_orders_f4b23a36');
  });
});

describe('identifiers', () => {
  it('quote exactly, case and quotes kept', () => {
    expect(quoteIdent('Orders')).toBe('"Orders"');
    expect(quoteIdent('a"b')).toBe('"a""b"');
    expect(quoteTable({ namespace: 'public', name: 'My Table' })).toBe('"public"."My Table"');
    expect(quoteLiteral("it's")).toBe("'it''s'");
  });

  it('split namespace.table at the first dot', () => {
    expect(parseTableName('public.orders')).toEqual({ namespace: 'public', name: 'orders' });
    expect(parseTableName('Sales.Orders')).toEqual({ namespace: 'Sales', name: 'Orders' });
    expect(() => parseTableName('orders')).toThrow(/namespace\.table/);
    expect(() => parseTableName('.orders')).toThrow();
    expect(() => parseTableName('public.')).toThrow();
  });
});

describe('publication diff', () => {
  const t = (name: string) => ({ namespace: 'public', name });
  const state = (over: Partial<PublicationState>): PublicationState => ({
    name: 'logtap_x', allTables: false, tables: [t('a'), t('b')], optionsOk: true, hasExtras: false, ...over,
  });

  it('is the same for the same set in any order', () => {
    expect(diffPublication(state({}), [t('b'), t('a')])).toMatchObject({ same: true, recreate: false, added: [], removed: [] });
    expect(diffPublication(state({ allTables: true, tables: [] }), undefined)).toMatchObject({ same: true, recreate: false });
  });

  it('names added and removed tables', () => {
    expect(diffPublication(state({}), [t('a'), t('c')])).toMatchObject({ same: false, recreate: false, added: [t('c')], removed: [t('b')] });
  });

  it('recreates between FOR ALL TABLES and a list', () => {
    expect(diffPublication(state({}), undefined)).toMatchObject({ same: false, recreate: true });
    expect(diffPublication(state({ allTables: true, tables: [] }), [t('a')])).toMatchObject({ same: false, recreate: true, added: [t('a')] });
  });

  it('is not the same with missing operations, schemas, row filters or column lists', () => {
    expect(diffPublication(state({ optionsOk: false }), [t('a'), t('b')]).same).toBe(false);
    expect(diffPublication(state({ hasExtras: true }), [t('a'), t('b')]).same).toBe(false);
  });
});
