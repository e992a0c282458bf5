import { describe, expect, it } from 'vitest';
import { type TableIdentity, identifiesRows, replicaIdentityFinding } from '../../connectors/postgres/replica-identity.js';

// `check` names the real reason a table's UPDATE and DELETE would fail once published, and first the fix that keeps its Kafka key.

const id = { namespace: 'public', name: 'country' };
const identity = (t: Partial<TableIdentity>): TableIdentity => ({ replident: 'd', hasPrimaryKey: true, hasIdentityIndex: false, candidateIndex: null, ...t });

describe('replica identity findings', () => {
  it('finds nothing for DEFAULT with a primary key, USING INDEX with its index, FULL with a primary key', () => {
    for (const t of [identity({}), identity({ replident: 'i', hasPrimaryKey: false, hasIdentityIndex: true }), identity({ replident: 'f' })]) {
      expect(replicaIdentityFinding(id, t)).toBeNull();
      expect(identifiesRows(t)).toBe(true);
    }
  });

  it('a primary key under REPLICA IDENTITY NOTHING: the fix is DEFAULT, not FULL', () => {
    const f = replicaIdentityFinding(id, identity({ replident: 'n' }))!;
    expect(f).toMatchObject({ level: 'error', id: 'replica_identity:public.country' });
    expect(f.message).toBe('table public.country has REPLICA IDENTITY NOTHING, so its primary key is not logged for UPDATE and DELETE: once published, UPDATE and DELETE on it fail in PostgreSQL');
    expect(f.fix).toBe('ALTER TABLE "public"."country" REPLICA IDENTITY DEFAULT; (the primary key identifies rows and stays the Kafka key)');
    expect(f.message).not.toContain('no primary key');
  });

  it('USING INDEX on a dropped index: DEFAULT with a primary key, else another unique index', () => {
    const withPk = replicaIdentityFinding(id, identity({ replident: 'i' }))!;
    expect(withPk).toMatchObject({ level: 'error', id: 'replica_identity:public.country' });
    expect(withPk.message).toContain('REPLICA IDENTITY USING INDEX, but that index was dropped');
    expect(withPk.fix).toContain('REPLICA IDENTITY DEFAULT;');
    const withIndex = replicaIdentityFinding(id, identity({ replident: 'i', hasPrimaryKey: false, candidateIndex: 'country_code_key' }))!;
    expect(withIndex.fix).toBe('ALTER TABLE "public"."country" REPLICA IDENTITY USING INDEX "country_code_key"; (that unique index identifies rows and becomes the Kafka key)');
  });

  it('no primary key: a unique index first, FULL (no Kafka key) only when there is none', () => {
    const bare = replicaIdentityFinding(id, identity({ hasPrimaryKey: false }))!;
    expect(bare).toMatchObject({ level: 'error', id: 'no_primary_key:public.country' });
    expect(bare.message).toContain('has no primary key, and REPLICA IDENTITY DEFAULT identifies rows by the primary key');
    expect(bare.fix).toBe('add a primary key (rows are then identified by it and keyed by it in Kafka), or ALTER TABLE "public"."country" REPLICA IDENTITY FULL; (its records then have no Kafka key)');
    const nothing = replicaIdentityFinding(id, identity({ replident: 'n', hasPrimaryKey: false, candidateIndex: 'u' }))!;
    expect(nothing.message).toContain('no primary key and REPLICA IDENTITY NOTHING');
    expect(nothing.fix).toContain('REPLICA IDENTITY USING INDEX "u";');
    expect(identifiesRows(identity({ replident: 'n' }))).toBe(false);
  });

  it('FULL without a primary key streams, with a warning that its records have no key', () => {
    const f = replicaIdentityFinding(id, identity({ replident: 'f', hasPrimaryKey: false }))!;
    expect(f).toMatchObject({ level: 'warning', id: 'no_primary_key:public.country', fix: 'add a primary key to "public"."country"' });
  });
});
