/**
 * The dashboard's chart and controls in a real headless Chromium while the bot trades on the
 * simulator: the chart draws candles with the cycle's fills, unrealized P&L follows the quote, and
 * the controls (disable, enable, take profit now, cancel, settings) act through the asset actor.
 * Controls are refused without the token in the header and from another origin.
 */
import { mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { pino } from 'pino';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboard, type Dashboard } from '../../src/dashboard/server.js';
import { getAssetBySymbol } from '../../src/store/assets.js';
import { getLatestCycle, listCycles } from '../../src/store/cycles.js';
import { hasChromium, launchChromium } from '../helpers/browser.js';
import { waitFor } from '../helpers/wait.js';
import { BTC, startWatchedBot, type WatchedBot } from './harness.js';

const ARTIFACTS = 'test-artifacts';
const TOKEN = 'dash-controls-5e1b7d';
const ETH = 'ETH/USD';

let w: WatchedBot;
let dashboard: Dashboard;
let browser: Browser;
let page: Page;
let dashboardLines: Record<string, unknown>[];
/** Script errors and CSP violations on the page (a refused control's HTTP status is not one). */
const pageErrors: string[] = [];

beforeAll(async () => {
  if (!hasChromium) return;
  w = await startWatchedBot({ token: TOKEN, extraAssets: [{ asset_symbol: ETH }] });
  await waitFor(() => w.bot.registry.get(ETH) !== undefined, 10_000, 'the ETH actor');
  dashboardLines = [];
  dashboard = await createDashboard({
    bot: w.bot,
    pool: w.db.pool,
    config: w.config,
    logger: pino({ level: 'info' }, { write: (s: string) => void dashboardLines.push(JSON.parse(s)) }),
    inspection: w.hub,
    account: () => w.exchange.getAccount(),
  });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  page.on('pageerror', (err) => pageErrors.push(String(err)));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Uncaught/.test(m.text())) pageErrors.push(m.text());
  });
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.goto(`${dashboard.url}?token=${TOKEN}`);
});

afterAll(async () => {
  if (!hasChromium) return;
  await browser?.close();
  await dashboard?.close();
  w?.sim.faults.releaseOrders();
  await w?.close();
});

const card = (symbol = BTC) => page.locator(`[data-asset="${symbol}"]`);
const stateOnScreen = (symbol = BTC) => card(symbol).locator('[data-testid="state"]');
const field = (label: string) => card().locator('.row', { hasText: label }).locator('dd');
const result = () => card().locator('[data-testid="control-result"]');
const cycleOf = async (symbol: string) => {
  const asset = await getAssetBySymbol(w.db.pool, symbol);
  return asset ? getLatestCycle(w.db.pool, asset.id) : null;
};

interface Answer {
  status: number;
  body: string;
}

function post(body: unknown, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL('control', dashboard.url),
      { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers } },
      (res) => {
        let text = '';
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** How many pixels of the chart's canvases are drawn (not transparent, not the white background). */
function paintedPixels(): Promise<number> {
  return card().evaluate((el) => {
    let painted = 0;
    for (const canvas of el.querySelectorAll('[data-testid="price-chart"] canvas')) {
      const c = canvas as unknown as {
        width: number;
        height: number;
        getContext(kind: '2d'): { getImageData(...box: number[]): { data: Uint8ClampedArray } } | null;
      };
      if (c.width === 0 || c.height === 0) continue;
      const data = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data;
      if (!data) continue;
      for (let i = 0; i < data.length; i += 4) {
        const white = data[i]! > 245 && data[i + 1]! > 245 && data[i + 2]! > 245;
        if (data[i + 3]! > 0 && !white) painted++;
      }
    }
    return painted;
  });
}

describe.runIf(hasChromium)('the dashboard controls in a browser', () => {
  it('says the controls are on and shows the account', async () => {
    await expect.poll(() => page.locator('#access').textContent(), { timeout: 10_000 }).toBe('controls on');
    await expect.poll(() => page.locator('#cash').textContent(), { timeout: 20_000 }).toMatch(/^\d+\.\d\d$/);
    expect(await card().locator('[data-testid="toggle"]').isVisible()).toBe(true);
  });

  it('refuses a control without the token, with the token in the URL, or with a wrong one', async () => {
    const body = { action: 'disable', asset: BTC };
    expect((await post(body, {})).status).toBe(401);
    const inUrl = await new Promise<number>((resolve, reject) => {
      const req = request(
        new URL(`control?token=${TOKEN}`, dashboard.url),
        { method: 'POST', headers: { 'Content-Type': 'application/json' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify(body));
    });
    expect(inUrl).toBe(401);
    expect((await post(body, { Authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await getAssetBySymbol(w.db.pool, BTC))?.enabled).toBe(true);
  });

  it('refuses a cross-origin control even with the right token', async () => {
    const body = { action: 'disable', asset: BTC };
    const auth = { Authorization: `Bearer ${TOKEN}` };
    expect((await post(body, { ...auth, Origin: 'http://evil.example' })).status).toBe(403);
    expect((await post(body, { ...auth, 'Sec-Fetch-Site': 'cross-site' })).status).toBe(403);
    expect((await getAssetBySymbol(w.db.pool, BTC))?.enabled).toBe(true);
  });

  it('draws the price chart with the fill as a marker and the average, safety and take-profit lines', async () => {
    await w.quoteUntil('49990', '50000', async () => (await cycleOf(BTC))?.quantity.gt(0) ?? false, 'base');
    const chart = card().locator('[data-testid="price-chart"]');
    await expect.poll(() => chart.getAttribute('data-markers'), { timeout: 10_000 }).toBe('1');
    expect(Number(await chart.getAttribute('data-bars'))).toBeGreaterThan(0);
    await expect.poll(() => chart.getAttribute('data-lines')).toBe('avg safety takeProfit');
    await expect.poll(paintedPixels, { timeout: 5_000 }).toBeGreaterThan(500);
    await chart.screenshot({ path: `${ARTIFACTS}/dashboard-chart.png` });
  });

  it('moves the unrealized P&L with the bid', async () => {
    const unrealized = card().locator('[data-testid="unrealized"]');
    // Above the safety trigger (49250): nothing is bought, only the P&L moves.
    w.sim.publishQuote(BTC, '49400', '49410');
    await expect.poll(() => unrealized.textContent(), { timeout: 5_000 }).toBe('-0.34');
    const low = Number(await unrealized.textContent());
    w.sim.publishQuote(BTC, '50400', '50410');
    await expect
      .poll(async () => Number(await unrealized.textContent()), { timeout: 5_000 })
      .toBeGreaterThan(low);
    // 0.000399 BTC × 50400 less the 0.25 % fee, less the 20 USD it cost.
    expect(await unrealized.textContent()).toBe('+0.06');
  });

  it('takes profit now only after a confirmation, selling at market and completing the cycle', async () => {
    const before = await cycleOf(BTC);
    await card().locator('[data-testid="take-profit-now"]').click();
    const confirm = card().locator('[data-testid="confirm"]');
    await expect.poll(() => confirm.isVisible()).toBe(true);
    expect(await confirm.textContent()).toContain('0.000399');
    expect((await cycleOf(BTC))?.id).toBe(before?.id);
    await card().locator('[data-testid="confirm-sell"]').click();
    await expect.poll(() => result().textContent(), { timeout: 5_000 }).toContain('sell now sent');
    await expect.poll(async () => (await cycleOf(BTC))?.status, { timeout: 10_000 }).toBe('cooldown');
    const [done] = await listCycles(w.db.pool, { statuses: ['complete'] });
    expect(done?.id).toBe(before?.id);
    expect(done?.realizedPnl?.gt(0)).toBe(true);
    await expect.poll(() => stateOnScreen().textContent(), { timeout: 5_000 }).toBe('cooldown');
    const logged = dashboardLines.find((l) => l['control'] === 'take-profit-now');
    expect(logged).toMatchObject({ level: 30, asset: BTC, ok: true });
  });

  it('stops the next base order of a disabled asset while another asset buys', async () => {
    await card().locator('[data-testid="toggle"]').click();
    await expect.poll(() => stateOnScreen().textContent(), { timeout: 10_000 }).toBe('disabled');
    expect(w.bot.registry.get(BTC)).toBeUndefined();
    const ordersBefore = w.sim.listOrders().filter((o) => o.symbol === BTC).length;
    // 2 % under the last sell would end BTC's cooldown and buy; ETH, enabled, buys on its first quote.
    const buyBoth = async () => {
      w.sim.publishQuote(BTC, '49000', '49010');
      return (await cycleOf(ETH))?.quantity.gt(0) ?? false;
    };
    await w.quoteUntil('2999.9', '3000', buyBoth, 'the ETH base order', ETH);
    expect(w.sim.listOrders().filter((o) => o.symbol === BTC)).toHaveLength(ordersBefore);
    expect((await getAssetBySymbol(w.db.pool, BTC))?.enabled).toBe(false);
  });

  it('enables the asset again, whose next quote buys', async () => {
    await card().locator('[data-testid="toggle"]').click();
    await waitFor(() => w.bot.registry.get(BTC) !== undefined, 10_000, 'the BTC actor again');
    await w.quoteUntil('48990', '49000', async () => (await cycleOf(BTC))?.quantity.gt(0) ?? false, 'base');
    await expect.poll(() => field('Held').textContent(), { timeout: 5_000 }).not.toBe('0');
  });

  it('cancels the order in flight through the exchange, back to watching', async () => {
    w.sim.faults.holdOrders();
    // 1.5 % under the base fill buys the first safety order, held open by the simulator.
    await w.quoteUntil(
      '48200',
      '48260',
      async () => (await cycleOf(BTC))?.status === 'buying',
      'safety order',
    );
    const cancel = card().locator('[data-testid="cancel-order"]');
    await expect.poll(() => cancel.isEnabled(), { timeout: 5_000 }).toBe(true);
    await cancel.click();
    await expect.poll(() => result().textContent(), { timeout: 5_000 }).toContain('cancel requested');
    await expect.poll(async () => (await cycleOf(BTC))?.status, { timeout: 10_000 }).toBe('watching');
    const held = w.sim.listOrders().filter((o) => o.symbol === BTC && o.side === 'buy');
    expect(held.at(-1)?.status).toBe('canceled');
    w.sim.faults.releaseOrders();
  });

  it('edits a setting with the CLI validation, refusing a bad value', async () => {
    await card().locator('.settings-box summary').click();
    // As `dca-bot assets set`: an amount the bot could never place is refused, at the latest ask.
    const base = card().locator('input[name="base"]');
    await base.fill('5');
    await card().locator('.settings button[type="submit"]').click();
    await expect
      .poll(() => result().textContent(), { timeout: 5_000 })
      .toMatch(/refused: base order amount 5 USD/);
    await base.fill('20');
    const input = card().locator('input[name="take-profit"]');
    await input.fill('-1');
    await card().locator('.settings button[type="submit"]').click();
    await expect.poll(() => result().textContent(), { timeout: 5_000 }).toContain('refused');
    expect((await getAssetBySymbol(w.db.pool, BTC))?.takeProfitPercent.toFixed()).toBe('1');
    await input.fill('2');
    await card().locator('.settings button[type="submit"]').click();
    await expect.poll(() => result().textContent(), { timeout: 5_000 }).toContain('take_profit_percent = 2');
    expect((await getAssetBySymbol(w.db.pool, BTC))?.takeProfitPercent.toFixed()).toBe('2');
    await card().locator('.settings-box summary').click();
    // 2 % above the average price now (49000 after the base fill).
    await expect
      .poll(() => field('Take profit').textContent(), { timeout: 5_000 })
      .toContain('bid ≥ 49980.00');
  });

  it('shows the alerts, the orders with their cycle and the P&L by day (the README screenshot)', async () => {
    await expect.poll(() => page.locator('#pnl-days tbody tr').count(), { timeout: 5_000 }).toBe(1);
    const firstOrder = await page.locator('#orders tbody tr').first().textContent();
    expect(firstOrder).toMatch(/\d{4}-\d\d-\d\d/);
    expect(firstOrder).toContain('#');
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-controls.png`, fullPage: true });
    // The chart library and the page run under the strict CSP without a violation or a script error.
    expect(pageErrors).toEqual([]);
    // Its licence asks for the attribution notice and a link to TradingView on the page.
    expect(await page.locator('[data-testid="tradingview"]').getAttribute('href')).toBe(
      'https://www.tradingview.com/',
    );
  });
});
