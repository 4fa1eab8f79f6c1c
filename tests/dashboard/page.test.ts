/**
 * The dashboard page in a real headless Chromium while the bot trades on the simulator: the state
 * on screen follows the cycle, a fill shows up without a reload, and a take-profit brings P&L.
 */
import { mkdirSync } from 'node:fs';
import { pino } from 'pino';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboard, type Dashboard } from '../../src/dashboard/server.js';
import { CHROMIUM, hasChromium, launchChromium } from '../helpers/browser.js';
import { BTC, startWatchedBot, type WatchedBot } from './harness.js';

const ARTIFACTS = 'test-artifacts';
if (!hasChromium) {
  console.warn(`skipping the dashboard browser test: ${CHROMIUM} is missing (.ci/run installs it)`);
}

let w: WatchedBot;
let dashboard: Dashboard;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  if (!hasChromium) return;
  w = await startWatchedBot();
  dashboard = await createDashboard({
    bot: w.bot,
    pool: w.db.pool,
    config: w.config,
    logger: pino({ level: 'silent' }),
    inspection: w.hub,
  });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  mkdirSync(ARTIFACTS, { recursive: true });
});

afterAll(async () => {
  if (!hasChromium) return;
  await browser?.close();
  await dashboard?.close();
  w?.sim.faults.releaseOrders();
  await w?.close();
});

const card = () => page.locator(`[data-asset="${BTC}"]`);
const stateOnScreen = () => card().locator('[data-testid="state"]');
const field = (label: string) => card().locator('.row', { hasText: label }).locator('dd');

describe.runIf(hasChromium)('the dashboard in a browser', () => {
  it('shows the asset watching before any quote, with the statechart and the supervisor', async () => {
    await page.goto(dashboard.url);
    await expect.poll(() => stateOnScreen().textContent(), { timeout: 10_000 }).toBe('watching');
    expect(await card().locator('svg .state.current').getAttribute('data-state')).toBe('watching');
    expect(await card().locator('svg .state').count()).toBe(6);
    await expect.poll(() => page.locator('#link').textContent()).toBe('live');
    // No DASHBOARD_TOKEN here: the page is read-only, says so, and offers no control.
    expect(await page.locator('#access').textContent()).toBe(
      'read-only: set DASHBOARD_TOKEN to enable the controls',
    );
    expect(await card().locator('[data-testid="take-profit-now"]').isVisible()).toBe(false);
    const children = await page.locator('#supervisor tbody tr td:first-child').allTextContents();
    expect(children).toEqual(
      expect.arrayContaining(['tradeUpdates', 'marketData', 'assets', `asset:${BTC}`]),
    );
  });

  it('moves to buying when the base order is sent and back to watching with a holding when it fills', async () => {
    w.sim.faults.holdOrders();
    await w.quoteUntil(
      '49990',
      '50000',
      async () => (await w.latestCycle())?.status === 'buying',
      'the base order',
    );
    await expect.poll(() => stateOnScreen().textContent(), { timeout: 5_000 }).toBe('buying');
    await expect.poll(() => field('In flight').textContent()).toContain('base buy 0.0004 @ 50000.00');
    expect(await field('Held').textContent()).toBe('0');

    w.sim.faults.releaseOrders();
    await expect.poll(() => stateOnScreen().textContent(), { timeout: 5_000 }).toBe('watching');
    await expect.poll(() => field('Held').textContent()).toBe('0.000399');
    expect(await field('Avg price').textContent()).toBe('50000.00');
    expect(await field('Take profit').textContent()).toContain('bid ≥ 50500.00');
    expect(await field('Next safety').textContent()).toContain('ask ≤ 49250.00');
    await expect.poll(() => page.locator('#orders tbody tr').first().textContent()).toContain('filled');
  });

  it('shows realized P&L after the take-profit and the next cycle cooling down', async () => {
    await w.quoteUntil(
      '50600',
      '50610',
      async () => (await w.latestCycle())?.status === 'cooldown',
      'take-profit',
    );
    await expect.poll(() => stateOnScreen().textContent(), { timeout: 5_000 }).toBe('cooldown');
    // 0.000399 sold at 50600 less 0.25 % = 20.13... minus $20 spent.
    await expect
      .poll(() => page.locator('#pnl-total').textContent(), { timeout: 5_000 })
      .toMatch(/^\+0\.13\d\d$/);
    expect(await page.locator('#pnl-cycles tbody tr').count()).toBe(1);
    expect(await field('Cooldown').textContent()).toMatch(/s left/);
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-after-take-profit.png`, fullPage: true });
  });

  it('shows the in-flight safety order of the next cycle mid-way', async () => {
    // 2 % under the last sell ends the cooldown; the next quote buys the base order.
    await w.quoteUntil(
      '49490',
      '49500',
      async () => (await w.latestCycle())?.quantity.gt(0) ?? false,
      'base',
    );
    w.sim.faults.holdOrders();
    await w.quoteUntil(
      '48740',
      '48750',
      async () => (await w.latestCycle())?.status === 'buying',
      'safety order',
    );
    await expect.poll(() => field('In flight').textContent(), { timeout: 5_000 }).toContain('so1 buy');
    expect(await stateOnScreen().textContent()).toBe('buying');
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-mid-cycle.png`, fullPage: true });
  });
});
