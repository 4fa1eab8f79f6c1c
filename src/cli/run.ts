/**
 * The operator CLI as a function: `runCli(argv, io)` dispatches to a command group and turns its
 * outcome into an exit code (0 ok, 1 refused or invalid input, 2 usage error). Streams and the
 * environment are injected, so tests run it in-process and read what it printed.
 */
import { DcaError } from '../errors.js';
import { DbConnectError } from '../store/dbErrors.js';
import { unknownVariableWarnings } from '../unknownVariables.js';
import { ASSETS_USAGE, assetsCommand } from './assets.js';
import { BACKTEST_USAGE, backtestCommand } from './backtest.js';
import { BARS_USAGE, barsCommand } from './bars.js';
import { CYCLES_USAGE, cyclesCommand } from './cycles.js';
import { DB_USAGE, dbCommand } from './dbInit.js';
import { DOCTOR_USAGE, doctorCommand } from './doctor.js';
import { type CliIo, EXIT_OK, EXIT_REFUSED, EXIT_USAGE, eprintln, RefusedError, UsageError } from './io.js';
import { MIGRATE_USAGE, migrateCommand } from './migrate.js';
import { PNL_USAGE, pnlCommand } from './pnl.js';
import { STATUS_USAGE, statusCommand } from './status.js';

export type { CliIo } from './io.js';

type Command = (argv: readonly string[], io: CliIo) => Promise<number>;

const COMMANDS: Record<string, { run: Command; usage: string }> = {
  assets: { run: assetsCommand, usage: ASSETS_USAGE },
  status: { run: statusCommand, usage: STATUS_USAGE },
  cycles: { run: cyclesCommand, usage: CYCLES_USAGE },
  pnl: { run: pnlCommand, usage: PNL_USAGE },
  migrate: { run: migrateCommand, usage: MIGRATE_USAGE },
  db: { run: dbCommand, usage: DB_USAGE },
  doctor: { run: doctorCommand, usage: DOCTOR_USAGE },
  backtest: { run: backtestCommand, usage: BACKTEST_USAGE },
  bars: { run: barsCommand, usage: BARS_USAGE },
};

export const USAGE = `usage: dca-bot <command> [options]
  assets list|add|set|enable|disable   manage the assets the bot trades
  status                               every asset's current cycle
  cycles <SYMBOL> [--limit N]          an asset's cycle history
  pnl [--since DATE] [--until DATE]    realized P&L per asset and in total
  migrate                              apply pending database migrations
  db init                              create the database, its user and .env's DB_* lines
  doctor [--order-test]                check everything the bot needs, one line per check
  backtest <SYMBOL> --csv FILE ...     what the settings would have done on past bars
  bars fetch <SYMBOL> --from --to      cache the exchange's historical bars for backtests
read commands take --json; every command takes --help
settings come from the environment or .env (DB_*; APCA_API_* for the exchange check)`;

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  for (const warning of unknownVariableWarnings(io.env)) io.stderr.write(`dca-bot: warning: ${warning}\n`);
  try {
    if (name === undefined) throw new UsageError('missing command', USAGE);
    if (name === '--help' || name === '-h' || name === 'help') {
      io.stdout.write(`${USAGE}\n`);
      return EXIT_OK;
    }
    const command = COMMANDS[name];
    if (command === undefined) throw new UsageError(`unknown command ${JSON.stringify(name)}`, USAGE);
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      eprintln(io, err.brief ? `dca-bot: ${err.message}` : `dca-bot: ${err.message}\n${err.usage}`);
      return EXIT_USAGE;
    }
    // A bad DB_* value (ConfigError, or a DB_NAME the migrator refuses): fix the settings, exit 2.
    if (err instanceof DcaError && err.code === 'CONFIG_INVALID') {
      eprintln(io, `dca-bot: ${err.message}`);
      return EXIT_USAGE;
    }
    if (err instanceof DbConnectError) {
      eprintln(io, `dca-bot: ${err.message}`);
      return err.kind === 'permanent' ? EXIT_USAGE : EXIT_REFUSED;
    }
    if (err instanceof RefusedError) {
      eprintln(io, `dca-bot: ${err.message}`);
      return EXIT_REFUSED;
    }
    // A bug or an unexpected outage: the message, not a stack, and never the environment.
    eprintln(io, `dca-bot: ${(err as Error).message ?? String(err)}`);
    return EXIT_REFUSED;
  }
}
