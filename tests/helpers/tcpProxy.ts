/**
 * A TCP proxy (node:net) between the bot and MariaDB, so a test can take "the database" away from
 * one bot without stopping the shared server other test files use. `cut()` destroys every open
 * connection and refuses new ones (accepted, then reset at once, as a dead host's RST); `restore()`
 * forwards again. `stall()` keeps every connection open but forwards nothing (a hung database host:
 * queries neither answer nor fail) until `restore()`.
 */
import net from 'node:net';
import type { DbConfig } from '../../src/config.js';
import { createPool, type Pool } from '../../src/store/db.js';

export interface TcpProxy {
  readonly port: number;
  cut(): void;
  stall(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const live = new Set<net.Socket>();
  let down = false;
  let stalled = false;
  const server = net.createServer((client) => {
    if (down) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(target.port, target.host);
    live.add(client);
    live.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      live.delete(client);
      live.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
    // After pipe(), which resumes a paused source: a connection opened while stalled hangs too.
    if (stalled) {
      client.pause();
      upstream.pause();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const destroyAll = () => {
    for (const s of live) s.destroy();
    live.clear();
  };
  return {
    port,
    cut() {
      down = true;
      destroyAll();
    },
    stall() {
      stalled = true;
      for (const s of live) s.pause();
    },
    restore() {
      down = false;
      if (stalled) for (const s of live) s.resume();
      stalled = false;
    },
    async close() {
      destroyAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface ProxiedPool {
  readonly proxy: TcpProxy;
  /** A pool whose every connection crosses the proxy. */
  readonly pool: Pool;
  /** Ends the pool and closes the proxy (after the bot that used them has stopped). */
  close(): Promise<void>;
}

/** A TCP proxy in front of a test database and a pool through it: the bot's database to take away. */
export async function proxiedPool(db: { readonly cfg: DbConfig }): Promise<ProxiedPool> {
  const proxy = await startTcpProxy({ host: db.cfg.host, port: db.cfg.port });
  const pool = createPool({ ...db.cfg, host: '127.0.0.1', port: proxy.port });
  return {
    proxy,
    pool,
    async close() {
      proxy.restore();
      await pool.end();
      await proxy.close();
    },
  };
}
