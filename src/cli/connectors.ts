import { ConfigError } from '../errors.js';
import type { ConnectorFactory } from '../source/source-connector.js';

/**
 * The one wiring point: the source URL's scheme picks the connector. Imported on demand, so the core
 * never loads a database driver it does not use.
 */
export async function connectorFactoryFor(url: string): Promise<ConnectorFactory> {
  const scheme = url.slice(0, url.indexOf(':')).toLowerCase();
  switch (scheme) {
    case 'postgres':
    case 'postgresql':
      return (await import('../../connectors/postgres/postgres-connector.js')).createPostgresConnector;
    case 'mysql':
    case 'mariadb':
      return (await import('../../connectors/mysql/mysql-connector.js')).createMysqlConnector;
    default:
      throw new ConfigError(`source.url: unknown scheme ${scheme}: expected postgres://, mysql:// or mariadb://`);
  }
}
