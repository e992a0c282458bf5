import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import pkg from '../../package.json' with { type: 'json' };
import { EXIT, reportFailure } from './exit-codes.js';
import { schemasCommand } from './commands/schemas.js';
import { runCommand } from './commands/run.js';
import { checkCommand } from './commands/check.js';
import { replayCommand } from './commands/replay.js';
import { demoCommand } from './commands/demo.js';
import { snapshotCommand } from './commands/snapshot.js';
import { initCommand } from './commands/init.js';
import { offsetsCommand } from './commands/offsets.js';

// The one wiring point: every command is registered here.
const cli = yargs(hideBin(process.argv))
  .scriptName('logtap')
  .usage('$0 <command> [options]\n\nChange-data-capture from PostgreSQL and MySQL/MariaDB into Kafka.')
  .command(initCommand)
  .command(runCommand)
  .command(checkCommand)
  .command(schemasCommand)
  .command(replayCommand)
  .command(demoCommand)
  .command(snapshotCommand)
  .command(offsetsCommand)
  .version(pkg.version)
  .demandCommand(1, 'name a command; --help lists them')
  .strict()
  .help()
  .fail((message, err) => {
    if (err) throw err;
    process.stderr.write(`logtap: ${message} (see --help)\n`);
    process.exit(EXIT.usage);
  });

try {
  await cli.parseAsync();
} catch (err) {
  process.exitCode = reportFailure(err);
}
