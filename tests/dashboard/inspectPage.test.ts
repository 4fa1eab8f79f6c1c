import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InspectorRelay, startInspectorRelay } from '../../src/inspectRelay.js';
import { hasChromium, launchChromium } from '../helpers/browser.js';

const DASHBOARD = 'http://127.0.0.1:8787/';

let browser: Browser;
let inspectorStandIn: Server;
const relays: InspectorRelay[] = [];

beforeAll(async () => {
  if (!hasChromium) return;
  browser = await launchChromium();
  // A page that greets its parent as Stately's inspector does once it has loaded.
  inspectorStandIn = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end(`<script>parent.postMessage({ type: '@statelyai.connected' }, '*');</script>`);
  });
  await new Promise<void>((r) => inspectorStandIn.listen(0, '127.0.0.1', () => r()));
});

afterAll(async () => {
  if (!hasChromium) return;
  await browser?.close();
  for (const r of relays) await r.stop();
  await new Promise((r) => inspectorStandIn.close(r));
});

async function relay(inspectorUrl: string): Promise<InspectorRelay> {
  const r = await startInspectorRelay({ inspectorUrl, dashboardUrl: DASHBOARD, inspectorTimeoutMs: 1_500 });
  relays.push(r);
  return r;
}

describe.runIf(hasChromium)('the inspector page', () => {
  it('says the inspector is unreachable and points at the dashboard when it cannot load', async () => {
    // Port 9 (discard) refuses the connection: the frame never becomes the inspector.
    const r = await relay('http://127.0.0.1:9/');
    const page = await browser.newPage();
    await page.goto(r.pageUrl);
    const notice = page.locator('#offline');
    await expect.poll(() => notice.isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await notice.textContent()).toContain('cannot be reached');
    expect(await page.locator('#dashboard-link').getAttribute('href')).toBe(DASHBOARD);
    await page.close();
  });

  it('shows no notice once the inspector says it is ready', async () => {
    const { port } = inspectorStandIn.address() as AddressInfo;
    const r = await relay(`http://127.0.0.1:${port}/`);
    const page = await browser.newPage();
    await page.goto(r.pageUrl);
    await expect
      .poll(() => page.locator('body').getAttribute('data-inspector'), { timeout: 10_000 })
      .toBe('connected');
    expect(await page.locator('#offline').isVisible()).toBe(false);
    await page.close();
  });
});
