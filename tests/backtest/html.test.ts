import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBacktest } from '../../src/backtest/engine.js';
import { htmlReport } from '../../src/backtest/html.js';
import { summarize } from '../../src/backtest/summary.js';
import { syntheticBars } from '../../src/backtest/synthetic.js';
import { btInput } from '../helpers/backtest.js';
import { CHROMIUM, launchChromium } from '../helpers/browser.js';

const ARTIFACTS = 'test-artifacts';

/**
 * Painted pixels per chart, counted in the page: the candles' colours and the average line in the
 * price chart, the equity line's blue below it. (A string: the page's DOM types are not this file's.)
 */
const PIXEL_COUNTS = `(() => {
  const count = (id, match) => {
    let n = 0;
    for (const canvas of document.querySelectorAll('#' + id + ' canvas')) {
      const ctx = canvas.getContext('2d');
      if (!ctx || canvas.width === 0) continue;
      const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
      for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 0 && match(data[i], data[i + 1], data[i + 2])) n++;
    }
    return n;
  };
  return {
    up: count('price', (r, g, b) => r < 80 && g > 140 && b > 130),
    down: count('price', (r, g, b) => r > 200 && g < 110 && b < 110),
    average: count('price', (r, g, b) => r > 230 && g > 120 && g < 160 && b < 40),
    equity: count('equity', (r, g, b) => b > 150 && r < 120 && g < 130),
  };
})()`;

describe.skipIf(!existsSync(CHROMIUM))('the HTML report', () => {
  it('draws candles, fills, cycle lines and the equity curve offline in a real browser', async () => {
    const bars = syntheticBars({ count: 20_000, seed: 11 });
    const run = runBacktest(bars, btInput());
    expect(run.orders.length).toBeGreaterThan(10);
    const html = htmlReport(bars, run, summarize(run, 15, 25), 'dca-bot assets add BTC/USD --base 20');
    expect(html).not.toMatch(/<script[^>]+src=/);
    mkdirSync(ARTIFACTS, { recursive: true });
    const file = join(process.cwd(), ARTIFACTS, 'backtest-report.html');
    writeFileSync(file, html);

    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const requests: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith('file:')) requests.push(r.url());
      });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`file://${file}`);
      await page.waitForSelector('body[data-ready="yes"]');
      // Painted pixels per chart: the candles' colours in the price chart, anything non-white below.
      const painted = await page.evaluate<Record<string, number>>(PIXEL_COUNTS);
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
      expect(painted.up).toBeGreaterThan(500);
      expect(painted.down).toBeGreaterThan(500);
      expect(painted.average).toBeGreaterThan(100);
      expect(painted.equity).toBeGreaterThan(500);
      await page.screenshot({ path: join(ARTIFACTS, 'backtest-report.png'), fullPage: false });
    } finally {
      await browser.close();
    }
  }, 120_000);
});
