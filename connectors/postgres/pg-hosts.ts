/**
 * libpq-style multi-host URLs: `postgres://user:pass@h1:5432,h2:5433/db?…` names one database on several
 * servers (a primary and its standbys). node-postgres connects to one host only, so logtap splits the URL
 * into one single-host URL per server and picks the primary itself (docs/postgres-connector.md, "Failover slots").
 */

const URL_PARTS = /^([a-z][a-z0-9+.-]*:\/\/)([^@/?#]*@)?([^/?#]*)(.*)$/i;

/** The hosts of a URL, each `host[:port]` as written (IPv6 in brackets). */
function hostList(url: string): { head: string; hosts: string[]; tail: string } | null {
  const m = URL_PARTS.exec(url);
  if (!m) return null;
  return { head: m[1]! + (m[2] ?? ''), hosts: m[3]!.split(','), tail: m[4]! };
}

/** One single-host URL per server of `url` (the URL itself when it names one host). */
export function hostUrls(url: string): string[] {
  const parts = hostList(url);
  if (!parts || parts.hosts.length < 2) return [url];
  return parts.hosts.map((host) => {
    if (host === '') throw new Error('source.url lists an empty host between commas');
    return `${parts.head}${host}${parts.tail}`;
  });
}

/** Several servers: logtap must find the primary among them. */
export const isMultiHost = (url: string): boolean => hostUrls(url).length > 1;
