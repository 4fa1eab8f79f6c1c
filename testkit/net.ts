/** Local networking for tests and benchmarks. */
import { createServer } from 'node:net';

/** A 127.0.0.1 port nothing listens on now (the OS picks it; a later bind may still race). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
