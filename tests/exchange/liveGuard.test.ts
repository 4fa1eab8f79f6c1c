/**
 * Live guard by destination: the opt-in DCA_LIVE_TRADING=yes is decided by where orders go, not by
 * the mode's name. The real hosts' names are enough — nothing connects before the guard refuses.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';
import { describeDestination, destinationOf } from '../../src/exchange/destination.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const KEYS = { APCA_API_KEY_ID: 'PKTESTKEYID', APCA_API_SECRET_KEY: 'test-secret-value' };

function problemsOf(env: NodeJS.ProcessEnv): readonly string[] {
  try {
    loadConfig(env);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

describe('live guard bypass (the default paper mode pointed at the live host)', () => {
  it("refuses paper mode with APCA_API_BASE_URL on Alpaca's live host unless DCA_LIVE_TRADING=yes", () => {
    expect(problemsOf({ ...KEYS, APCA_API_BASE_URL: 'https://api.alpaca.markets' })).toEqual([
      "APCA_API_BASE_URL: api.alpaca.markets is Alpaca's live (real-money) host; set DCA_LIVE_TRADING=yes to trade there",
    ]);
    expect(
      problemsOf({ ...KEYS, DCA_MODE: 'paper', APCA_API_BASE_URL: 'https://API.alpaca.markets/' }),
    ).toHaveLength(1);
  });

  it('refuses a trade_updates stream on the live host even when REST points at paper', () => {
    expect(problemsOf({ ...KEYS, APCA_API_STREAM_URL: 'wss://api.alpaca.markets/stream' })).toEqual([
      "APCA_API_STREAM_URL: api.alpaca.markets is Alpaca's live (real-money) host; set DCA_LIVE_TRADING=yes to trade there",
    ]);
  });

  it('refuses any other host without the opt-in: an unknown host may move real money', () => {
    expect(problemsOf({ ...KEYS, APCA_API_BASE_URL: 'https://alpaca-proxy.example.com' })).toEqual([
      'APCA_API_BASE_URL: alpaca-proxy.example.com is not a paper or loopback host; set DCA_LIVE_TRADING=yes to trade there',
    ]);
  });

  it('accepts the live host and any host with DCA_LIVE_TRADING=yes, in every mode', () => {
    const paper = loadConfig({
      ...KEYS,
      APCA_API_BASE_URL: 'https://api.alpaca.markets',
      DCA_LIVE_TRADING: 'yes',
    });
    expect(paper.destination).toEqual({ kind: 'live', host: 'api.alpaca.markets', needsLiveOptIn: true });
    const live = loadConfig({ ...KEYS, DCA_MODE: 'live', DCA_LIVE_TRADING: 'yes' });
    expect(live.destination.kind).toBe('live');
  });

  it("needs no opt-in for Alpaca's paper host, a loopback address or the built-in simulator", () => {
    expect(loadConfig(KEYS).destination.kind).toBe('paper');
    for (const url of ['http://127.0.0.1:4010', 'http://localhost:4010', 'http://[::1]:4010']) {
      expect(loadConfig({ ...KEYS, APCA_API_BASE_URL: url }).destination.kind).toBe('loopback');
    }
    expect(
      loadConfig({ DCA_MODE: 'sim', APCA_API_BASE_URL: 'https://api.alpaca.markets' }).destination.kind,
    ).toBe('simulator');
  });

  it('still refuses live mode on the paper host without the opt-in', () => {
    expect(
      problemsOf({ ...KEYS, DCA_MODE: 'live', APCA_API_BASE_URL: 'https://paper-api.alpaca.markets' }),
    ).toEqual(['DCA_LIVE_TRADING: must be "yes" to trade real money in live mode, got nothing']);
  });

  it('names the real destination for the banner', () => {
    expect(describeDestination(destinationOf('https://api.alpaca.markets'))).toBe(
      'LIVE (real money) (api.alpaca.markets)',
    );
    expect(describeDestination(destinationOf('https://paper-api.alpaca.markets'))).toBe(
      'paper (paper-api.alpaca.markets)',
    );
    expect(describeDestination(destinationOf('http://127.0.0.1:4010'))).toBe('loopback (127.0.0.1:4010)');
    expect(describeDestination(destinationOf('https://alpaca.example.com'))).toBe(
      'custom host (alpaca.example.com)',
    );
    expect(describeDestination(loadConfig({ DCA_MODE: 'sim' }).destination)).toBe('the built-in simulator');
  });

  it('npm start in the default paper mode with the live host exits 2 with one clear line', async () => {
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !/^(DCA_|APCA_|DB_|LOG_)/.test(k)),
    );
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: REPO,
      env: { ...inherited, ...KEYS, APCA_API_BASE_URL: 'https://api.alpaca.markets' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    const problems = stderr.split('\n').filter((l) => l.trim().startsWith('- '));
    expect(problems).toEqual([
      "  - APCA_API_BASE_URL: api.alpaca.markets is Alpaca's live (real-money) host; set DCA_LIVE_TRADING=yes to trade there",
    ]);
  }, 30_000);
});
