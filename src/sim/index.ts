/** The built-in exchange simulator: `startSimulator()` and the types its callers need. */
export {
  clearSimAccount,
  openSimAccountStore,
  SIM_TABLES,
  type SimAccountStore,
} from './accountStore.js';
export { DEFAULT_ASSETS, type SimAssetInput } from './assets.js';
export { SimApiError } from './errors.js';
export type { SimFaults, StreamName } from './faults.js';
export {
  type CsvFeedOptions,
  csvFeed,
  type Feed,
  type PriceStep,
  type RandomWalkOptions,
  randomWalkFeed,
  scriptedFeed,
} from './feeds.js';
export type { SimKeepAlive } from './keepAlive.js';
export { type Simulator, type SimulatorOptions, startSimulator } from './simulator.js';
export type {
  SimAccount,
  SimOrder,
  SimOrderRequest,
  SimPosition,
  SimQuote,
  SimTradeUpdate,
} from './types.js';
