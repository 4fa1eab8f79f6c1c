/** The asset actor's public face; its parts live in ./asset/ (mailbox, cycle host, order executor). */
export { AssetActor, type AssetActorDeps, type AssetView, CRASH_DRAIN_MS } from './asset/actor.js';
