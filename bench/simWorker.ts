/**
 * Runs the simulator on its own thread (its own event loop and core), as it is when the bot is a
 * separate process: the order round-trip benchmark then measures the server, not a client and a
 * server taking turns on one event loop.
 */
import { parentPort } from 'node:worker_threads';
import { startSimulator } from '../src/sim/simulator.js';

const port = parentPort;
if (!port) throw new Error('simWorker must run in a worker thread');
const sim = await startSimulator({
  cash: '1000000000',
  // Throughput, not realism: thousands of requests a second and $6 orders are the point here.
  rateLimitPerMinute: 0,
  minOrderValue: 0,
});
sim.publishQuote('BTC/USD', '60000', '60010');
port.on('message', async (msg: unknown) => {
  if (msg === 'close') {
    await sim.close();
    port.close();
  }
});
port.postMessage(sim.endpoints);
