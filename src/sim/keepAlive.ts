/**
 * What the simulator does with an idle keep-alive connection, so that a client's connection reuse
 * meets what real servers do (architecture §6). Unset, the server is a plain Node one: an idle
 * connection is closed after 5 s, as announced in `Keep-Alive: timeout=5`. Set:
 * - `timeoutMs`: how long an idle connection is kept;
 * - `announce` (default true): say so in `Keep-Alive: timeout=N` (whole seconds, as Node and Apache
 *   do); a load balancer usually says nothing;
 * - `onIdle` (default `close`): `close` ends the connection at the timeout; `reset` leaves it open
 *   and resets the next request on it unanswered, before it reaches the exchange. That is a load
 *   balancer that forgets idle flows ("Connection idle timeout" in
 *   https://docs.aws.amazon.com/elasticloadbalancing/latest/network/network-load-balancers.html),
 *   and, made certain, the race a client loses when it writes a request as the server's close of
 *   that connection is on its way.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface SimKeepAlive {
  readonly timeoutMs: number;
  readonly announce?: boolean;
  readonly onIdle?: 'close' | 'reset';
}

/** `admit` is asked first for every request; false: the request was reset and must not be handled. */
export interface IdleConnections {
  admit(req: IncomingMessage, res: ServerResponse): boolean;
}

export function idleConnections(server: Server, opts: SimKeepAlive | undefined): IdleConnections {
  if (opts === undefined) return { admit: () => true };
  const { timeoutMs, announce = true, onIdle = 'close' } = opts;
  // Node's own idle handling (and its header) would close the connection first: this replaces it.
  server.keepAliveTimeout = 0;
  const idleSince = new WeakMap<Socket, number>();
  const closers = new WeakMap<Socket, NodeJS.Timeout>();
  return {
    admit(req, res) {
      const socket = req.socket;
      clearTimeout(closers.get(socket));
      const since = idleSince.get(socket);
      idleSince.delete(socket);
      if (onIdle === 'reset' && since !== undefined && Date.now() - since >= timeoutMs) {
        socket.resetAndDestroy();
        return false;
      }
      if (announce) res.setHeader('Keep-Alive', `timeout=${Math.floor(timeoutMs / 1000)}`);
      res.once('finish', () => {
        if (socket.destroyed) return;
        idleSince.set(socket, Date.now());
        if (onIdle === 'close') closers.set(socket, setTimeout(() => socket.destroy(), timeoutMs).unref());
      });
      return true;
    },
  };
}
