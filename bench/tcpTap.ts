/**
 * A byte-level TCP pass-through in front of the simulator's trading REST: it forwards every byte
 * unparsed and notes when a chunk from a client starts an order POST (`POST /v2/orders`). That is
 * the moment the exchange receives the order, measured in this process, where the simulator runs
 * and the quote frame was sent.
 */
import net from 'node:net';

export interface TcpTap {
  readonly url: string;
  /** performance.now() of each order POST seen, in order. */
  readonly posts: number[];
  close(): Promise<void>;
}

const ORDER_POST = Buffer.from('POST /v2/orders');

export async function startTcpTap(upstream: URL): Promise<TcpTap> {
  const posts: number[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const target = net.connect(Number(upstream.port), upstream.hostname);
    client.setNoDelay(true);
    target.setNoDelay(true);
    for (const s of [client, target]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        target.destroy();
      });
    }
    client.on('data', (chunk: Buffer) => {
      if (chunk.subarray(0, ORDER_POST.length).equals(ORDER_POST)) posts.push(performance.now());
      target.write(chunk);
    });
    target.pipe(client);
    client.on('end', () => target.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    posts,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
