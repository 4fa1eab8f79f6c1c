/** The asset actor's mailbox: one lane, the newest quote only, and what the stopping and failed gates let through. */
import { describe, expect, it } from 'vitest';
import { Mailbox } from '../../src/actors/asset/mailbox.js';
import type { QuoteTick } from '../../src/exchange/types.js';

const quote = (bid: string): QuoteTick => ({
  symbol: 'BTC/USD',
  bid: Number(bid),
  ask: Number(bid) + 10,
  at: Date.now(),
});

describe('Mailbox', () => {
  it('defect 2: runs nothing queued behind a failure, not even an answer, and reports the crash once', async () => {
    const crashes: unknown[] = [];
    const box = new Mailbox((err) => crashes.push(err));
    const ran: string[] = [];
    box.post(() => {
      throw new Error('bug');
    });
    box.post(() => {
      ran.push('queued quote');
    });
    box.answer(() => {
      ran.push('queued answer');
    });
    await box.idle();
    box.answer(() => {
      ran.push('late answer');
    });
    box.offerQuote(quote('1'), async () => {
      ran.push('late quote');
    });
    await box.idle();
    expect(ran).toEqual([]);
    expect(crashes).toHaveLength(1);
    expect(box.isFailed).toBe(true);
  });

  it('refuses inputs once stopping but still applies answers to requests already made', async () => {
    const box = new Mailbox(() => {});
    const ran: string[] = [];
    await box.stop();
    box.post(() => {
      ran.push('input');
    });
    box.answer(() => {
      ran.push('answer');
    });
    await box.idle();
    expect(ran).toEqual(['answer']);
  });

  it('hands over only the newest of the quotes that arrived while the lane was busy', async () => {
    const box = new Mailbox(() => {});
    const seen: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    box.post(() => gate);
    for (const bid of ['1', '2', '3'])
      box.offerQuote(quote(bid), async (q) => void seen.push(q.bid.toString()));
    release();
    await box.idle();
    expect(seen).toEqual(['3']);
  });

  it('gives a waiting quote to whoever takes it first, so a decision uses the freshest price', async () => {
    const box = new Mailbox(() => {});
    const seen: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    box.post(() => gate);
    box.offerQuote(quote('5'), async (q) => void seen.push(q.bid.toString()));
    expect(box.takeQuote()?.bid.toString()).toBe('5');
    release();
    await box.idle();
    expect(seen).toEqual([]);
  });
});
