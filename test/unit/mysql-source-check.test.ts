import { describe, expect, it } from 'vitest';
import { serverFindings } from '../../connectors/mysql/mysql-check.js';
import type { ServerSettings } from '../../connectors/mysql/server-settings.js';

const healthy: ServerSettings = {
  version: '10.11.19-MariaDB-log', isMariaDb: true, serverId: 1, logBin: true, binlogFormat: 'ROW', binlogRowImage: 'FULL',
  binlogRowMetadata: 'FULL', gtids: true, gtidMode: undefined, retentionSeconds: 7 * 86_400, transactionCompression: false, partialJson: false,
};
const ids = (server: Partial<ServerSettings>, serverId = 123_456) => serverFindings({ ...healthy, ...server }, serverId).map((f) => [f.level, f.id]);

describe('MySQL source server findings', () => {
  it('finds nothing on a server set up as logtap needs', () => {
    expect(ids({})).toEqual([]);
    expect(ids({ retentionSeconds: 0 })).toEqual([]); // never expires
  });

  it('reports what stops streaming as errors, each with its fix', () => {
    expect(ids({ logBin: false, binlogFormat: 'MIXED', binlogRowImage: 'MINIMAL', transactionCompression: true, partialJson: true })).toEqual([
      ['error', 'log_bin'], ['error', 'binlog_format'], ['error', 'binlog_row_image'], ['error', 'binlog_transaction_compression'], ['error', 'binlog_row_value_options'],
    ]);
    const [format] = serverFindings({ ...healthy, binlogFormat: 'STATEMENT' }, 5);
    expect(format).toMatchObject({ message: 'binlog_format is STATEMENT, logtap needs ROW', fix: expect.stringContaining("SET GLOBAL binlog_format = 'ROW'") });
    expect(ids({}, 1)).toEqual([['error', 'server_id']]);
  });

  it('warns about what degrades streaming', () => {
    expect(ids({ binlogRowMetadata: 'MINIMAL' })).toEqual([['warning', 'binlog_row_metadata']]);
    expect(ids({ binlogRowMetadata: undefined })).toEqual([['warning', 'binlog_row_metadata']]);
    expect(ids({ isMariaDb: false, gtids: false, gtidMode: 'OFF' })).toEqual([['warning', 'gtid_mode']]);
    const [retention] = serverFindings({ ...healthy, retentionSeconds: 86_400 }, 5);
    expect(retention).toMatchObject({ level: 'warning', id: 'binlog_retention', message: expect.stringContaining('kept 1 day(s)'), fix: expect.stringContaining('binlog_expire_logs_seconds = 259200') });
  });
});
