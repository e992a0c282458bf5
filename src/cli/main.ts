import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import pkg from '../../package.json' with { type: 'json' };

await yargs(hideBin(process.argv))
  .scriptName('logtap')
  .usage('$0 <command> [options]\n\nChange-data-capture from PostgreSQL and MySQL/MariaDB into Kafka.')
  .version(pkg.version)
  .demandCommand(1, 'name a command; --help lists them')
  .strict()
  .help()
  .parseAsync();
