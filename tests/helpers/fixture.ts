/**
 * The one fixture for "simulator + throwaway database + the bot": a simulator, a fresh database with
 * the rows a test sets up, and the process tree in-process (tests/helpers/inProcessBot.ts), handed
 * back once it trades the given symbols. `close()` stops the bot, then the simulator and the database.
 */
import type { Bot } from '../../src/app.js';
import type { Config } from '../../src/config.js';
import { type Simulator, type SimulatorOptions, startSimulator } from '../../src/sim/index.js';
import type { Pool } from '../../src/store/db.js';
import { createTestDatabase, type TestDatabase } from './db.js';
import { type InProcessBot, type InProcessBotOptions, startInProcessBot } from './inProcessBot.js';
import type { LogLine } from './logSink.js';

export interface FixtureOptions extends Omit<InProcessBotOptions, 'sim' | 'db'> {
  /** Symbols whose cycles must run (and the trade stream be up) before the fixture is handed back. */
  readonly symbols: readonly string[];
  readonly simulator?: SimulatorOptions;
  /** Rows (assets, cycles) and simulator state that must exist before the bot starts. */
  readonly setup?: (pool: Pool, sim: Simulator) => Promise<void>;
}

export interface Fixture {
  readonly sim: Simulator;
  readonly db: TestDatabase;
  readonly bot: Bot;
  readonly config: Config;
  readonly started: InProcessBot;
  readonly lines: LogLine[];
  close(): Promise<void>;
}

export async function startFixture(opts: FixtureOptions): Promise<Fixture> {
  const { symbols, simulator, setup, ...botOpts } = opts;
  const [sim, db] = await Promise.all([startSimulator(simulator), createTestDatabase()]);
  const release = () => Promise.all([sim.close(), db.drop()]);
  let started: InProcessBot;
  try {
    await setup?.(db.pool, sim);
    started = await startInProcessBot({ sim, db, ...botOpts });
  } catch (err) {
    await release();
    throw err;
  }
  const fixture: Fixture = {
    sim,
    db,
    bot: started.bot,
    config: started.config,
    started,
    lines: started.lines,
    async close() {
      await started.bot.stop('test over');
      await release();
    },
  };
  try {
    await started.trading(symbols);
  } catch (err) {
    await fixture.close();
    throw err;
  }
  return fixture;
}
