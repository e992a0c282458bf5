/**
 * A topic name template (config `topics.name`, a route's `topic`, an outbox table's `topic`): literal text with
 * `{placeholder}`s and, in a route, `$1`…`$9` for the route's capture groups.
 */
export interface TopicTemplate {
  text: string;
  render(values: Record<string, string>, captures?: readonly string[]): string;
}

/** Characters Kafka allows in a topic name. */
const TOPIC_CHARS = /^[A-Za-z0-9._-]*$/;

/**
 * Parses `text`, allowing the `placeholders` given and capture references up to `groups` (0: none). Throws an Error
 * whose message says what is wrong and how to fix it (the config loader puts it on one line with the key).
 */
export function parseTopicTemplate(text: string, placeholders: readonly string[], groups = 0): TopicTemplate {
  const parts: Array<{ literal: string } | { placeholder: string } | { capture: number }> = [];
  const pattern = /\{([^{}]*)\}|\$(\d+)/g;
  let at = 0;
  for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
    parts.push({ literal: text.slice(at, m.index) });
    if (m[1] !== undefined) {
      if (!placeholders.includes(m[1])) throw new Error(`unknown placeholder {${m[1]}} in ${JSON.stringify(text)}: expected ${placeholders.map((p) => `{${p}}`).join(', ')}`);
      parts.push({ placeholder: m[1] });
    } else {
      const n = Number(m[2]);
      if (groups === 0) throw new Error(`$${m[2]} in ${JSON.stringify(text)}: capture groups exist only in a route's topic (topics.routes)`);
      if (n < 1 || n > groups) throw new Error(`$${m[2]} in ${JSON.stringify(text)}: the route's match has ${groups} capture group(s)`);
      parts.push({ capture: n });
    }
    at = m.index + m[0].length;
  }
  parts.push({ literal: text.slice(at) });
  for (const part of parts) {
    if ('literal' in part && !TOPIC_CHARS.test(part.literal)) {
      throw new Error(`${JSON.stringify(text)} has characters a Kafka topic name cannot hold: use letters, digits, '.', '_', '-' and placeholders`);
    }
  }
  if (parts.every((p) => 'literal' in p) && text === '') throw new Error('the topic template is empty');
  return {
    text,
    render(values, captures = []) {
      return parts.map((p) => ('literal' in p ? p.literal : 'placeholder' in p ? values[p.placeholder] ?? '' : captures[p.capture] ?? '')).join('');
    },
  };
}

/** How many capture groups a regular expression has (compiles it: throws on an invalid one). */
export function captureGroups(source: string): number {
  const re = new RegExp(`${source}|`);
  return re.exec('')!.length - 1;
}

/** A rendered topic name Kafka accepts: 1–249 allowed characters, not `.` or `..`. */
export function topicNameProblem(topic: string): string | null {
  if (topic.length === 0) return 'it is empty';
  if (topic.length > 249) return 'it is longer than 249 characters';
  if (topic === '.' || topic === '..') return 'Kafka does not allow it';
  if (!TOPIC_CHARS.test(topic)) return "it has characters other than letters, digits, '.', '_', '-'";
  return null;
}
