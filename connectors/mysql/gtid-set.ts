/**
 * The executed-transactions state of a binlog stream, in both server flavours' own text forms:
 *
 * - MariaDB: a GTID *position*, the last transaction per replication domain, `domain-server-seq` entries
 *   (`0-1-42,1-3-7`), as in `@@gtid_binlog_pos` and `@slave_connect_state`. Adding a GTID replaces its domain's entry.
 * - MySQL: a GTID *set* of intervals per source UUID (`3e11fa47-…:1-42:50,…`; MySQL 8.3+ tags as
 *   `uuid:1-5:tag:1-3`), as in `@@gtid_executed`. Adding a GTID adds it to its interval list.
 *
 * Positions are durable (they live in checkpoints), so the text forms are parsed and printed here rather than by
 * the binlog library: an upgrade of it cannot change what a stored checkpoint means.
 */
export type GtidFlavour = 'mariadb' | 'mysql';

export interface GtidState {
  /** Undefined for the empty state, which either flavour accepts. */
  readonly flavour: GtidFlavour | undefined;
  /** Records one transaction (`0-1-43` or `uuid:43` / `uuid:tag:43`, or as parseGtid returned it) as executed. */
  add(gtid: string | Gtid): void;
  clone(): GtidState;
  isEmpty(): boolean;
  toString(): string;
}

/** A single GTID of either flavour. */
export type Gtid = { flavour: 'mariadb'; domain: number; server: number; seq: bigint } | { flavour: 'mysql'; uuid: string; tag: string; gno: bigint };

/** A single GTID of either flavour, validated; throws a plain Error naming the problem. */
export function parseGtid(text: string): Gtid {
  const value = text.trim();
  if (value.includes(':')) {
    const parts = value.split(':');
    if (parts.length !== 2 && parts.length !== 3) throw new Error(`invalid MySQL GTID ${JSON.stringify(text)} (expected uuid:number or uuid:tag:number)`);
    const uuid = parseUuid(parts[0]!, text);
    const tag = parts.length === 3 ? parseTag(parts[1]!, text) : '';
    return { flavour: 'mysql', uuid, tag, gno: parseGno(parts[parts.length - 1]!, text) };
  }
  const match = /^(\d+)-(\d+)-(\d+)$/.exec(value);
  if (!match) throw new Error(`invalid GTID ${JSON.stringify(text)} (expected MariaDB domain-server-sequence or MySQL uuid:number)`);
  const domain = Number(match[1]);
  const server = Number(match[2]);
  const seq = BigInt(match[3]!);
  if (domain > 0xffffffff || server > 0xffffffff || seq > 0xffffffffffffffffn) throw new Error(`invalid MariaDB GTID ${JSON.stringify(text)}: number out of range`);
  return { flavour: 'mariadb', domain, server, seq };
}

/** A GTID's canonical text: `domain-server-seq`, or `uuid:gno` / `uuid:tag:gno` (lower case). */
export function gtidText(gtid: Gtid): string {
  return gtid.flavour === 'mariadb' ? `${gtid.domain}-${gtid.server}-${gtid.seq}` : `${gtid.uuid}:${gtid.tag === '' ? '' : `${gtid.tag}:`}${gtid.gno}`;
}

/**
 * Parses a GTID state; the flavour follows from the text (a MySQL set always holds ':', a MariaDB position never
 * does), or from `flavour` for the empty text. Throws a plain Error naming the problem.
 */
export function parseGtidState(text: string, flavour?: GtidFlavour): GtidState {
  const value = text.replace(/\s+/g, '');
  if (value === '') return flavour === 'mysql' ? new MysqlGtidSet() : flavour === 'mariadb' ? new MariadbGtidPosition() : new EmptyGtidState();
  const detected: GtidFlavour = value.includes(':') ? 'mysql' : 'mariadb';
  if (flavour && flavour !== detected) throw new Error(`GTID state ${JSON.stringify(text)} is a ${detected} GTID state, the server is ${flavour}`);
  return detected === 'mysql' ? MysqlGtidSet.parse(value) : MariadbGtidPosition.parse(value);
}

/** The empty state before its flavour is known: the first GTID added decides it. */
class EmptyGtidState implements GtidState {
  private inner: GtidState | undefined;
  get flavour(): GtidFlavour | undefined {
    return this.inner?.flavour;
  }
  add(gtid: string | Gtid): void {
    const parsed = typeof gtid === 'string' ? parseGtid(gtid) : gtid;
    this.inner ??= parsed.flavour === 'mysql' ? new MysqlGtidSet() : new MariadbGtidPosition();
    this.inner.add(parsed);
  }
  clone(): GtidState {
    return this.inner ? this.inner.clone() : new EmptyGtidState();
  }
  isEmpty(): boolean {
    return this.inner?.isEmpty() ?? true;
  }
  toString(): string {
    return this.inner?.toString() ?? '';
  }
}

class MariadbGtidPosition implements GtidState {
  readonly flavour = 'mariadb' as const;
  /** domain → `server-seq` of the last transaction of that domain. */
  private readonly domains = new Map<number, { server: number; seq: bigint }>();

  static parse(text: string): MariadbGtidPosition {
    const position = new MariadbGtidPosition();
    for (const entry of text.split(',')) {
      const gtid = parseGtid(entry);
      if (gtid.flavour !== 'mariadb') throw new Error(`invalid MariaDB GTID position ${JSON.stringify(text)}`);
      if (position.domains.has(gtid.domain)) throw new Error(`GTID position ${JSON.stringify(text)} names domain ${gtid.domain} twice`);
      position.domains.set(gtid.domain, { server: gtid.server, seq: gtid.seq });
    }
    return position;
  }

  add(text: string | Gtid): void {
    const gtid = typeof text === 'string' ? parseGtid(text) : text;
    if (gtid.flavour !== 'mariadb') throw new Error(`cannot add MySQL GTID ${typeof text === 'string' ? text : gtidText(gtid)} to a MariaDB GTID position`);
    // A replacement, not a maximum: after a failover a domain's newest transaction may carry a lower sequence number.
    this.domains.set(gtid.domain, { server: gtid.server, seq: gtid.seq });
  }

  clone(): GtidState {
    const copy = new MariadbGtidPosition();
    for (const [domain, entry] of this.domains) copy.domains.set(domain, { ...entry });
    return copy;
  }

  isEmpty(): boolean {
    return this.domains.size === 0;
  }

  toString(): string {
    if (this.domains.size === 1) {
      for (const [domain, { server, seq }] of this.domains) return `${domain}-${server}-${seq}`;
    }
    return [...this.domains.entries()]
      .sort(([a], [b]) => a - b)
      .map(([domain, { server, seq }]) => `${domain}-${server}-${seq}`)
      .join(',');
  }
}

type Interval = [bigint, bigint];

class MysqlGtidSet implements GtidState {
  readonly flavour = 'mysql' as const;
  /** uuid → tag ('' untagged) → sorted, coalesced inclusive intervals. */
  private readonly sources = new Map<string, Map<string, Interval[]>>();

  static parse(text: string): MysqlGtidSet {
    const set = new MysqlGtidSet();
    for (const entry of text.split(',')) {
      const [uuidText, ...items] = entry.split(':');
      if (items.length === 0) throw new Error(`invalid MySQL GTID set entry ${JSON.stringify(entry)} (expected uuid:interval…)`);
      const uuid = parseUuid(uuidText!, entry);
      let tag = '';
      let intervalsInSection = 0;
      let sawTag = false;
      for (const item of items) {
        if (/^[a-z_]/i.test(item)) {
          if (sawTag && intervalsInSection === 0) throw new Error(`GTID tag without intervals in ${JSON.stringify(entry)}`);
          tag = parseTag(item, entry);
          sawTag = true;
          intervalsInSection = 0;
          continue;
        }
        const bounds = item.split('-');
        if (bounds.length > 2) throw new Error(`invalid GTID interval ${JSON.stringify(item)} in ${JSON.stringify(entry)}`);
        const start = parseGno(bounds[0]!, entry);
        const end = bounds.length === 2 ? parseGno(bounds[1]!, entry) : start;
        if (end < start) throw new Error(`invalid GTID interval ${JSON.stringify(item)} in ${JSON.stringify(entry)}`);
        set.addInterval(uuid, tag, start, end);
        intervalsInSection++;
      }
      if (intervalsInSection === 0) throw new Error(`GTID set entry ${JSON.stringify(entry)} has no intervals`);
    }
    return set;
  }

  add(text: string | Gtid): void {
    const gtid = typeof text === 'string' ? parseGtid(text) : text;
    if (gtid.flavour !== 'mysql') throw new Error(`cannot add MariaDB GTID ${typeof text === 'string' ? text : gtidText(gtid)} to a MySQL GTID set`);
    this.addInterval(gtid.uuid, gtid.tag, gtid.gno, gtid.gno);
  }

  clone(): GtidState {
    const copy = new MysqlGtidSet();
    for (const [uuid, tags] of this.sources) {
      copy.sources.set(uuid, new Map([...tags].map(([tag, intervals]) => [tag, intervals.map(([a, b]): Interval => [a, b])])));
    }
    return copy;
  }

  isEmpty(): boolean {
    return this.sources.size === 0;
  }

  /** MySQL's own form: sources by UUID, untagged intervals first, then tags in order. */
  toString(): string {
    return [...this.sources.keys()].sort().map((uuid) => {
      const tags = this.sources.get(uuid)!;
      const parts = [uuid];
      for (const tag of [...tags.keys()].sort()) {
        if (tag !== '') parts.push(tag);
        for (const [start, end] of tags.get(tag)!) parts.push(start === end ? `${start}` : `${start}-${end}`);
      }
      return parts.join(':');
    }).join(',');
  }

  private addInterval(uuid: string, tag: string, start: bigint, end: bigint): void {
    let tags = this.sources.get(uuid);
    if (!tags) this.sources.set(uuid, (tags = new Map()));
    const merged: Interval[] = [];
    let next: Interval = [start, end];
    for (const interval of tags.get(tag) ?? []) {
      if (interval[1] + 1n < next[0]) merged.push(interval);
      else if (next[1] + 1n < interval[0]) {
        merged.push(next);
        next = interval;
      } else next = [interval[0] < next[0] ? interval[0] : next[0], interval[1] > next[1] ? interval[1] : next[1]];
    }
    merged.push(next);
    tags.set(tag, merged);
  }
}

function parseUuid(text: string, context: string): string {
  const value = text.trim().toLowerCase();
  const hex = value.replaceAll('-', '');
  if (!/^[0-9a-f]{32}$/.test(hex) || !(value === hex || /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(value))) {
    throw new Error(`invalid server UUID ${JSON.stringify(text)} in ${JSON.stringify(context)}`);
  }
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function parseTag(text: string, context: string): string {
  if (!/^[a-z_][a-z0-9_]{0,31}$/i.test(text)) throw new Error(`invalid GTID tag ${JSON.stringify(text)} in ${JSON.stringify(context)}`);
  return text.toLowerCase();
}

const MAX_GNO = (1n << 63n) - 1n;

function parseGno(text: string, context: string): bigint {
  if (!/^\d+$/.test(text)) throw new Error(`invalid GTID number ${JSON.stringify(text)} in ${JSON.stringify(context)}`);
  const gno = BigInt(text);
  if (gno < 1n || gno > MAX_GNO) throw new Error(`GTID number ${text} out of range in ${JSON.stringify(context)}`);
  return gno;
}
