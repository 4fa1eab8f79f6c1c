/** The throwaway database lives in testkit/db.ts (the benchmarks use it too). */
export * from '../../testkit/db.js';
