/**
 * The bot started with `--sim --inspect` as a child process, its inspector relay flooded by
 * clients sending frames of tens of MB (the probe that used to abort the process: 45 frames of
 * 95 MB, each kept and forwarded by the old relay). Each flooding client is closed on its first
 * frame; the bot keeps running, a page connecting afterwards still gets the actors' events, and a
 * SIGTERM still ends it cleanly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type BotProcess, SIM_MODE, spawnBot } from '../helpers/bot.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

let db: TestDatabase;
let bot: BotProcess;

beforeAll(async () => {
  db = await createTestDatabase({ sim: true });
  bot = spawnBot({ sim: SIM_MODE, db, args: ['--sim', '--inspect'], env: { LOG_LEVEL: 'info' } });
});

afterAll(async () => {
  await bot?.kill();
  await db?.drop();
});

function open(url: string): Promise<{ ws: WebSocket; received: string[]; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const received: string[] = [];
    ws.on('message', (d) => received.push(d.toString()));
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.once('open', () => resolve({ ws, received, closed }));
    ws.once('error', reject);
  });
}

describe('an inspector relay flooded with huge frames', () => {
  it('closes each flooding client, keeps the bot alive and still feeds a new page', async () => {
    await expect
      .poll(() => bot.lines.find((l) => String(l['msg']).startsWith('XState inspector: open')), {
        timeout: 30_000,
      })
      .toBeDefined();
    const page = String(
      bot.lines.find((l) => String(l['msg']).startsWith('XState inspector: open'))?.['url'],
    );
    const relayUrl = page.replace(/^http/, 'ws');

    const frame = Buffer.alloc(16 * 1024 * 1024, 0x41);
    for (let round = 0; round < 5; round++) {
      const flooders = await Promise.all([open(relayUrl), open(relayUrl), open(relayUrl)]);
      for (const f of flooders) f.ws.send(frame);
      const codes = await Promise.all(flooders.map((f) => f.closed));
      expect(codes).toEqual([1009, 1009, 1009]);
    }

    expect(bot.child.exitCode).toBeNull();
    const viewer = await open(relayUrl);
    await expect
      .poll(() => viewer.received.some((m) => m.includes('"@xstate.actor"')), { timeout: 20_000 })
      .toBe(true);
    expect(viewer.received.join('\n')).not.toContain('AAAAAAAA');
    viewer.ws.close();

    expect((await bot.stop('SIGTERM')).code).toBe(0);
  }, 120_000);
});
