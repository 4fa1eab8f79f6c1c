/** The bot's environment lives in testkit/env.ts (the benchmarks use it too). */
export * from '../../testkit/env.js';
