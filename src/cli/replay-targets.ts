import { ConfigError } from '../errors.js';
import type { ReplayConnector } from '../replay/replay-target.js';

/**
 * The wiring point of replay: a URL's scheme picks the database's replay parts (target writer, row reader
 * for --verify, position order for --until). Imported on demand, like connectorFactoryFor.
 */
export async function replayConnectorFor(url: string, role: 'target' | 'source'): Promise<ReplayConnector> {
  const scheme = url.slice(0, Math.max(url.indexOf(':'), 0)).toLowerCase();
  switch (scheme) {
    case 'postgres':
    case 'postgresql': {
      const [target, reader, order] = await Promise.all([
        import('../../connectors/postgres/replay-target.js'),
        import('../../connectors/postgres/replay-row-reader.js'),
        import('../../connectors/postgres/position-order.js'),
      ]);
      return { kind: 'postgres', openTarget: target.openPgReplayTarget, openReader: (u) => reader.openPgRowReader(u), positionOrder: order.pgPositionOrder };
    }
    case 'mysql':
    case 'mariadb': {
      const [target, reader, order] = await Promise.all([
        import('../../connectors/mysql/replay-target.js'),
        import('../../connectors/mysql/replay-row-reader.js'),
        import('../../connectors/mysql/position-order.js'),
      ]);
      return { kind: 'mysql', openTarget: target.openMysqlReplayTarget, openReader: (u, r) => reader.openMysqlRowReader(u, r), positionOrder: order.mysqlPositionOrder };
    }
    default:
      throw new ConfigError(`${role === 'target' ? '--target' : 'source.url'}: unknown scheme ${JSON.stringify(scheme)}: expected postgres://, mysql:// or mariadb://`);
  }
}
