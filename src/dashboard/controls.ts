/**
 * The dashboard's controls. One writer: each becomes what the asset actor already hears — an asset
 * row change read by the assets supervisor (ENABLE, DISABLE, CONFIG_CHANGED, exactly as after
 * `dca-bot assets ...`), a TAKE_PROFIT_NOW event, or the cancel the order manager sends for a stale
 * order (its outcome comes back as a trade update). Settings are validated as the CLI validates them.
 * Every control is logged at info with what it did.
 */
import type { Logger } from 'pino';
import type { AssetRegistry } from '../actors/registry.js';
import { ASSET_FLAGS, type AssetFlag, validateAssetRow } from '../cli/assetRows.js';
import { RefusedError } from '../cli/io.js';
import { ExchangeError } from '../errors.js';
import { buyProblem } from '../machines/decisions.js';
import type { Decimal } from '../money.js';
import { findAssetRow, setAssetEnabled, updateAssetSettings } from '../store/assets.js';
import type { Queryable } from '../store/db.js';

export const CONTROL_ACTIONS = ['enable', 'disable', 'take-profit-now', 'cancel-order', 'settings'] as const;
export type ControlAction = (typeof CONTROL_ACTIONS)[number];

export interface ControlDeps {
  readonly registry: AssetRegistry;
  /** The assets supervisor: reads the rows now, so an edit reaches the actor at once. */
  readonly assets: { refresh(): Promise<void> };
  readonly db: Queryable;
  readonly feeRate: Decimal;
  readonly logger: Logger;
}

export interface ControlRequest {
  readonly action: ControlAction;
  readonly asset: string;
  /** take-profit-now: the asset's symbol again, as typed or confirmed on the page. */
  readonly confirm?: unknown;
  /** settings: `dca-bot assets set` flag name → value, e.g. { "take-profit": "1.5" }. */
  readonly settings?: unknown;
}

export interface ControlAnswer {
  readonly status: number;
  readonly ok: boolean;
  readonly message: string;
}

/** A request body as sent, or why it is not one. */
export function parseControl(body: unknown): ControlRequest | string {
  if (typeof body !== 'object' || body === null) return 'the body must be a JSON object';
  const { action, asset } = body as Record<string, unknown>;
  if (typeof action !== 'string' || !(CONTROL_ACTIONS as readonly string[]).includes(action)) {
    return `action must be one of ${CONTROL_ACTIONS.join(', ')}`;
  }
  if (typeof asset !== 'string' || asset.length === 0 || asset.length > 20) {
    return 'asset must be a symbol such as BTC/USD';
  }
  return body as ControlRequest;
}

export async function runControl(deps: ControlDeps, req: ControlRequest): Promise<ControlAnswer> {
  const log = deps.logger;
  const done = (status: number, message: string, fields: Record<string, unknown> = {}): ControlAnswer => {
    const ok = status < 300;
    log.info(
      { event: 'dashboard_control', control: req.action, asset: req.asset, ok, status, ...fields },
      `dashboard control ${req.action} ${req.asset}: ${message}`,
    );
    return { status, ok, message };
  };
  try {
    switch (req.action) {
      case 'enable':
      case 'disable':
        return await toggle(deps, req, req.action === 'enable', done);
      case 'settings':
        return await settings(deps, req, done);
      case 'take-profit-now':
        return takeProfitNow(deps, req, done);
      case 'cancel-order':
        return await cancelOrder(deps, req, done);
    }
  } catch (err) {
    if (err instanceof RefusedError) return done(422, err.message);
    if (err instanceof ExchangeError) return done(502, `the exchange did not take it: ${err.message}`);
    log.error({ err, control: req.action, asset: req.asset }, 'dashboard control failed');
    return done(500, 'failed; see the bot log');
  }
}

type Done = (status: number, message: string, fields?: Record<string, unknown>) => ControlAnswer;

async function toggle(deps: ControlDeps, req: ControlRequest, enabled: boolean, done: Done) {
  const row = await findAssetRow(deps.db, req.asset);
  if (row === null) return done(404, `no asset ${req.asset}`);
  // An invalid row would be skipped by the bot anyway: say so instead of pretending it will trade.
  if (enabled) validateAssetRow(row);
  if (Boolean(Number(row['is_enabled'])) === enabled) {
    return done(200, `already ${enabled ? 'enabled' : 'disabled'}`);
  }
  await setAssetEnabled(deps.db, Number(row['id']), enabled);
  await deps.assets.refresh();
  return done(
    200,
    enabled
      ? 'enabled: new cycles buy again'
      : 'disabled: no new cycle will buy; a cycle already holding coin is still managed',
    { enabled },
  );
}

async function settings(deps: ControlDeps, req: ControlRequest, done: Done) {
  const given = req.settings;
  if (typeof given !== 'object' || given === null) return done(400, 'settings must be an object');
  const changes: Record<string, string> = {};
  for (const [flag, value] of Object.entries(given)) {
    const column = ASSET_FLAGS[flag as AssetFlag];
    if (column === undefined) return done(400, `unknown setting ${JSON.stringify(flag)}`);
    if (typeof value !== 'string' && typeof value !== 'number') return done(400, `${flag} must be a value`);
    changes[column] = String(value).trim();
  }
  if (Object.keys(changes).length === 0) return done(400, 'nothing to change: give at least one setting');
  const row = await findAssetRow(deps.db, req.asset);
  if (row === null) return done(404, `no asset ${req.asset}`);
  const asset = validateAssetRow({ ...row, ...changes });
  // As `dca-bot assets set`: the amounts must pass the bot's own sizing rule at the latest ask.
  const view = deps.registry.get(req.asset)?.view();
  const sizing = ['base_order_amount', 'safety_order_amount', 'max_safety_orders'];
  if (view?.rules && view.lastQuote && sizing.some((c) => c in changes)) {
    const checks: ['base' | 'safety', Decimal][] = [['base', asset.baseOrderAmount]];
    if (asset.maxSafetyOrders > 0) checks.push(['safety', asset.safetyOrderAmount]);
    const problems = checks.flatMap(([role, amount]) => {
      const problem = buyProblem(amount, view.lastQuote!.ask, view.rules!, deps.feeRate, role);
      return problem === null ? [] : [`${role} order amount ${amount.toFixed()} USD ${problem}`];
    });
    if (problems.length > 0) throw new RefusedError(`refused: ${problems.join('; ')}`);
  }
  await updateAssetSettings(deps.db, asset);
  await deps.assets.refresh();
  const changed = Object.keys(changes).map((c) => `${c} = ${changes[c]}`);
  return done(200, `updated: ${changed.join(', ')}`, { changes });
}

function takeProfitNow(deps: ControlDeps, req: ControlRequest, done: Done) {
  if (req.confirm !== req.asset) {
    return done(400, `confirm the sale: send "confirm": ${JSON.stringify(req.asset)}`);
  }
  const actor = deps.registry.get(req.asset);
  if (!actor) return done(409, 'no actor runs for this asset');
  const view = actor.view();
  const qty = view.cycle?.quantity;
  if (!qty?.gt(0)) return done(409, 'the cycle holds nothing to sell');
  if (view.state !== 'watching') {
    return done(409, `the cycle is ${view.state}: cancel the order in flight first`);
  }
  actor.takeProfitNow();
  return done(
    202,
    `sell now sent: cycle ${view.cycle!.id}'s ${qty.toFixed()} is sold at market once the position is confirmed`,
    { cycleId: view.cycle!.id, qty: qty.toFixed() },
  );
}

async function cancelOrder(deps: ControlDeps, req: ControlRequest, done: Done) {
  const actor = deps.registry.get(req.asset);
  if (!actor) return done(409, 'no actor runs for this asset');
  const result = await actor.cancelInFlight();
  if (result === null) return done(409, 'no order in flight');
  if (!result.sent) {
    return done(409, `order ${result.clientOrderId} is not acknowledged by the exchange yet; try again`);
  }
  return done(202, `cancel requested for ${result.clientOrderId}; the cycle books what filled`, {
    clientOrderId: result.clientOrderId,
  });
}
