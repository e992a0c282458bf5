import { ConfigError } from '../errors.js';
import { type TableId, tableIdText } from '../model/table-schema.js';
import { parseTopicTemplate, captureGroups, type TopicTemplate } from './topic-template.js';

/** Placeholders of `topics.name` and of a route's `topic`; {database} is {schema} under the name MySQL users know. */
export const TABLE_TOPIC_PLACEHOLDERS = ['prefix', 'schema', 'database', 'table'] as const;
export const DEFAULT_TOPIC_NAME = '{prefix}.{schema}.{table}';

/**
 * The key field naming the source table (`namespace.table`) in the key of every table a route sends to a shared
 * topic: two shards' rows with the same key stay two rows. Leading underscores and the logtap name keep it apart
 * from real columns; a table with a key column of this very name is refused.
 */
export const SOURCE_TABLE_KEY_FIELD = '__logtap_source_table';

export interface TopicRouteConfig {
  /** Regular expression over `namespace.table`, matched whole. */
  match: string;
  /** Topic template; may use $1… of `match`. */
  topic: string;
  /** The routed tables' keys are unique across them (or the route renames one table): no source table in the key. */
  uniqueKeys?: boolean | undefined;
}

export interface TopicsNaming {
  name?: string | undefined;
  routes?: readonly TopicRouteConfig[] | undefined;
}

/** Where a table's records go. */
export interface TableRoute {
  topic: string;
  /** Several tables may share the topic: the key starts with SOURCE_TABLE_KEY_FIELD and records carry `logtap.table`. */
  sourceInKey: boolean;
}

interface CompiledRoute { match: RegExp; topic: TopicTemplate; uniqueKeys: boolean; index: number }

/** The first configuration problem of a naming, as one line, or null (the config schema reports it at load). */
export function topicsNamingProblem(naming: TopicsNaming): { path: (string | number)[]; message: string } | null {
  try {
    parseTopicTemplate(naming.name ?? DEFAULT_TOPIC_NAME, TABLE_TOPIC_PLACEHOLDERS);
  } catch (err) {
    return { path: ['name'], message: (err as Error).message };
  }
  if (!/\{table\}/.test(naming.name ?? DEFAULT_TOPIC_NAME)) return { path: ['name'], message: 'must contain {table}: one topic per table (send several tables to one topic with topics.routes)' };
  for (const [i, route] of (naming.routes ?? []).entries()) {
    let groups: number;
    try {
      groups = captureGroups(route.match);
    } catch (err) {
      return { path: ['routes', i, 'match'], message: `not a valid regular expression: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}` };
    }
    try {
      parseTopicTemplate(route.topic, TABLE_TOPIC_PLACEHOLDERS, groups);
    } catch (err) {
      return { path: ['routes', i, 'topic'], message: (err as Error).message.replace(/capture groups exist only in a route's topic \(topics.routes\)/, 'the route\'s match has no capture group') };
    }
  }
  return null;
}

/**
 * Names each table's topic: the first route whose `match` matches `namespace.table` wholly, else `topics.name`.
 * Remembers what it named, so that two tables never share a topic unless a route sends them there, and every
 * table of a shared topic has the same key shape; a conflict is a ConfigError naming both tables.
 */
export class TopicRouter {
  private readonly name: TopicTemplate;
  private readonly routes: CompiledRoute[];
  private readonly named = new Map<string, { table: string; route: number | null; sourceInKey: boolean }>();

  constructor(readonly prefix: string, naming: TopicsNaming = {}) {
    const problem = topicsNamingProblem(naming);
    if (problem) throw new ConfigError(`topics.${problem.path.join('.')}: ${problem.message}`);
    this.name = parseTopicTemplate(naming.name ?? DEFAULT_TOPIC_NAME, TABLE_TOPIC_PLACEHOLDERS);
    this.routes = (naming.routes ?? []).map((r, index) => ({
      match: new RegExp(`^(?:${r.match})$`),
      topic: parseTopicTemplate(r.topic, TABLE_TOPIC_PLACEHOLDERS, captureGroups(r.match)),
      uniqueKeys: r.uniqueKeys === true,
      index,
    }));
  }

  /** Whether any route exists (a topic may then hold several tables). */
  get routesTables(): boolean {
    return this.routes.length > 0;
  }

  /** The topic of `id` and whether its key carries the source table; throws on a conflict with a table named before. */
  route(id: TableId): TableRoute {
    const text = tableIdText(id);
    const result = this.resolve(id);
    const before = this.named.get(result.topic);
    if (before && before.table !== text) {
      if (before.route === null || result.route === null) {
        throw new ConfigError(`tables ${before.table} and ${text} both get topic ${result.topic} from topics.name (${this.name.text}): a topic holds one table unless a route (topics.routes) sends several there; fix: put {schema} and {table} in topics.name, or add a route`);
      }
      if (before.sourceInKey !== result.sourceInKey) {
        throw new ConfigError(`tables ${before.table} and ${text} are routed into topic ${result.topic} by routes that disagree on uniqueKeys: one topic needs one key shape; fix: give both routes the same uniqueKeys`);
      }
    } else if (!before) {
      this.named.set(result.topic, { table: text, route: result.route, sourceInKey: result.sourceInKey });
    }
    return { topic: result.topic, sourceInKey: result.sourceInKey };
  }

  /** The topic of `id` without remembering it (readers: replay, the console, the cascade reader). */
  topicOf(id: TableId): string {
    return this.resolve(id).topic;
  }

  private resolve(id: TableId): TableRoute & { route: number | null } {
    const text = tableIdText(id);
    const values = { prefix: this.prefix, schema: id.namespace, database: id.namespace, table: id.name };
    const route = this.routes.find((r) => r.match.test(text));
    if (!route) return { topic: this.name.render(values), sourceInKey: false, route: null };
    return { topic: route.topic.render(values, route.match.exec(text)!), sourceInKey: !route.uniqueKeys, route: route.index };
  }
}
