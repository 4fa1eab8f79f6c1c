/**
 * Who may read the dashboard. With DASHBOARD_TOKEN set, a request names it as `?token=` (what a
 * bookmark and EventSource can do) or `Authorization: Bearer`; a control only in the header. The Host header is checked too, so a
 * page on another site cannot reach a dashboard on 127.0.0.1 through DNS rebinding.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export function tokenMatches(req: IncomingMessage, url: URL, token: string | null): boolean {
  if (token === null) return true;
  const header = req.headers.authorization;
  const bearer = header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : null;
  const given = bearer ?? url.searchParams.get('token');
  return given !== null && sameSecret(given, token);
}

/** A control's token: only the Authorization header counts (never `?token=`). */
export function bearerMatches(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization;
  if (!header?.startsWith('Bearer ')) return false;
  return sameSecret(header.slice('Bearer '.length).trim(), token);
}

/**
 * Whether a request comes from the dashboard's own page: an Origin header, when a browser sends one,
 * must name the host asked, and Fetch Metadata must not say cross-site. A client that is not a
 * browser sends neither and is judged by its token alone.
 */
export function sameOrigin(req: IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host?.toLowerCase();
  } catch {
    return false;
  }
}

/** Constant-time: both sides are hashed to the same length first. */
function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/**
 * A dashboard bound to loopback answers only to loopback host names (and the address it is bound
 * to); one bound elsewhere was put there on purpose and answers to any name.
 */
export function hostAllowed(req: IncomingMessage, boundHost: string): boolean {
  if (!LOOPBACK_NAMES.has(boundHost)) return true;
  const host = req.headers.host;
  if (!host) return false;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]!;
  return LOOPBACK_NAMES.has(name.toLowerCase());
}
