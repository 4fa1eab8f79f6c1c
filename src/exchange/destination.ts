/**
 * Where the bot's orders go, judged by the trading host, never by the mode's name. The live-money
 * guard and the start-up banner both ask this, so what the banner says is what the guard checked.
 *
 * Only three destinations are safe without the operator's explicit DCA_LIVE_TRADING=yes: Alpaca's
 * paper host, a loopback address (a local simulator or proxy) and the built-in simulator. Every
 * other host — Alpaca's live host above all, but also any host we do not know — may move real money.
 */
export const ALPACA_PAPER_HOST = 'paper-api.alpaca.markets';
export const ALPACA_LIVE_HOST = 'api.alpaca.markets';

export type Destination = 'simulator' | 'paper' | 'loopback' | 'live' | 'custom host';

export interface DestinationInfo {
  readonly kind: Destination;
  /** The host name (and port, when given); `built-in` for the simulator. */
  readonly host: string;
  /** True when trading there needs DCA_LIVE_TRADING=yes. */
  readonly needsLiveOptIn: boolean;
}

function isLoopback(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** Classifies one trading URL (REST or trade_updates websocket). */
export function destinationOf(url: string): DestinationInfo {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { kind: 'custom host', host: url, needsLiveOptIn: true };
  }
  const hostname = parsed.hostname.toLowerCase();
  const host = parsed.host.toLowerCase();
  if (hostname === ALPACA_PAPER_HOST) return { kind: 'paper', host, needsLiveOptIn: false };
  if (isLoopback(hostname)) return { kind: 'loopback', host, needsLiveOptIn: false };
  if (hostname === ALPACA_LIVE_HOST) return { kind: 'live', host, needsLiveOptIn: true };
  return { kind: 'custom host', host, needsLiveOptIn: true };
}

export const SIMULATOR_DESTINATION: DestinationInfo = {
  kind: 'simulator',
  host: 'built-in',
  needsLiveOptIn: false,
};

/** How the banner names a destination, e.g. `live (api.alpaca.markets)`. */
export function describeDestination(d: DestinationInfo): string {
  if (d.kind === 'simulator') return 'the built-in simulator';
  const label = d.kind === 'live' ? 'LIVE (real money)' : d.kind;
  return `${label} (${d.host})`;
}
