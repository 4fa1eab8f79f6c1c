/**
 * The intents the cycle machine emits, built from its context. The host executes them after it has
 * persisted the transition that produced them (write-ahead, architecture §4).
 */
import type { OrderIntent } from '../domain.js';
import { toPlain } from '../money.js';
import type { AlertLevel, CycleContext, CycleEvent, CycleIntent, InFlightOrder } from './cycleTypes.js';
import {
  buyProblem,
  isExpectedDust,
  safetyOrderAmountOf,
  sellProblem,
  stopLossPrice,
  takeProfitPrice,
  takeProfitQty,
  trailingStopPrice,
} from './decisions.js';

export function alert(level: AlertLevel, code: string, message: string): CycleIntent {
  return { type: 'alert', level, code, message };
}

/** Buys are limit orders at the ask, the take-profit is a market sell; crypto accepts only gtc/ioc. */
export function orderIntentOf(inFlight: InFlightOrder, symbol: string): OrderIntent {
  return {
    clientOrderId: inFlight.clientOrderId,
    symbol,
    side: inFlight.side,
    type: inFlight.side === 'buy' ? 'limit' : 'market',
    qty: inFlight.qty!,
    limitPrice: inFlight.limitPrice,
    timeInForce: 'gtc',
  };
}

export function submitOrder(context: CycleContext): CycleIntent {
  const inFlight = context.inFlight!;
  return { type: 'submitOrder', step: inFlight.step, order: orderIntentOf(inFlight, context.asset.symbol) };
}

export function reconcileOrder(context: CycleContext): CycleIntent {
  const inFlight = context.inFlight!;
  return { type: 'reconcileOrder', clientOrderId: inFlight.clientOrderId, orderId: inFlight.orderId };
}

export function closeUnsentOrder(context: CycleContext): CycleIntent {
  return { type: 'closeUnsentOrder', clientOrderId: context.inFlight!.clientOrderId };
}

/** The start of a refusal episode; later refusals in the same episode only extend the wait. */
export function refusal(context: CycleContext, event: CycleEvent): CycleIntent {
  const reason = context.backoff?.reason ?? (event.type === 'ORDER_SUBMIT_FAILED' ? event.reason : '?');
  const until = context.backoff?.until.toISOString() ?? '?';
  return alert(
    'warn',
    'ORDER_REFUSED',
    `${context.asset.symbol}: waiting after refusal: ${reason} until ${until} (the wait doubles while refusals go on)`,
  );
}

export function badQuote(context: CycleContext, event: CycleEvent): CycleIntent {
  const detail = event.type === 'QUOTE' ? `bid ${event.bid.toString()} ask ${event.ask.toString()}` : '';
  return alert('warn', 'BAD_QUOTE', `${context.asset.symbol}: ignored an unusable quote (${detail})`);
}

export function positionExists(context: CycleContext, event: CycleEvent): CycleIntent {
  const qty = event.type === 'POSITION_FOUND' ? toPlain(event.qty) : '?';
  return alert(
    'warn',
    'POSITION_EXISTS',
    `${context.asset.symbol}: a position of ${qty} already exists; no base order until it is gone`,
  );
}

/**
 * A dust position the base order ignores. The leftover of the previous cycle's take-profit (or less
 * than one trade increment) is expected after every cycle and only logged; other dust alerts.
 */
export function dustPosition(context: CycleContext, event: CycleEvent): CycleIntent {
  const qty = event.type === 'POSITION_FOUND' ? event.qty : null;
  const below = `below min order size ${toPlain(context.rules.minOrderSize)}`;
  if (qty !== null && isExpectedDust(qty, context.previousLeftover, context.rules)) {
    return {
      type: 'log',
      level: 'info',
      event: 'dust_position',
      message: `${context.asset.symbol}: ignoring a dust position of ${toPlain(qty)} (${below}), the rounding leftover of earlier take-profits (${toPlain(context.previousLeftover)} left by the last one)`,
    };
  }
  return alert(
    'info',
    'DUST_POSITION',
    `${context.asset.symbol}: ignoring a dust position of ${qty === null ? '?' : toPlain(qty)} (${below}), more than earlier cycles left (${toPlain(context.previousLeftover)})`,
  );
}

export function buyTooSmall(context: CycleContext, what: 'base' | 'safety'): CycleIntent {
  const amount =
    what === 'base'
      ? context.asset.baseOrderAmount
      : safetyOrderAmountOf(context.asset, context.ledger.safetyOrders + 1);
  const problem =
    context.quote === null
      ? null
      : buyProblem(amount, context.quote.ask, context.rules, context.feeRate, what);
  return alert(
    'error',
    'ORDER_TOO_SMALL',
    `${context.asset.symbol}: a ${what} order of ${toPlain(amount)} USD ${problem ?? `is below the min order size ${toPlain(context.rules.minOrderSize)} at this price`}`,
  );
}

/** Why a base order asked for was not placed once the position answer came back. */
export function baseOrderDeclined(context: CycleContext): CycleIntent {
  // The gate closed while the position was read: nothing is wrong with the order, it waits.
  if (context.gateClosed) {
    return {
      type: 'log',
      level: 'info',
      event: 'base_order_deferred',
      message: `${context.asset.symbol}: no base order while the order gate is closed (instance lock not held)`,
    };
  }
  return context.enabled
    ? buyTooSmall(context, 'base')
    : alert('info', 'BASE_ORDER_SKIPPED', `${context.asset.symbol}: disabled, no base order`);
}

export function sellTooSmall(context: CycleContext, event: CycleEvent): CycleIntent {
  const position =
    event.type === 'POSITION_FOUND'
      ? event
      : {
          qty: context.ledger.quantity.plus(context.ledger.positionBaseline),
          qtyAvailable: context.ledger.quantity,
        };
  const qty = takeProfitQty(context.ledger, position, context.rules, context.feeRate);
  const problem = sellProblem(qty, context.quote?.bid ?? null, context.rules);
  return alert(
    'warn',
    'SELL_TOO_SMALL',
    `${context.asset.symbol}: take-profit of ${problem ?? `${toPlain(qty)} is below the min order size ${toPlain(context.rules.minOrderSize)}`}`,
  );
}

/** The bid reached the take-profit price of a cycle that trails: from now on it follows the peak. */
export function trailingStarted(context: CycleContext, event: CycleEvent): CycleIntent {
  const { asset, ledger } = context;
  const bid = event.type === 'QUOTE' ? event.bid : (context.quote?.bid ?? ledger.averagePurchasePrice);
  const target = takeProfitPrice(ledger.averagePurchasePrice, asset.takeProfitPercent);
  const deviation = asset.ttpDeviationPercent!;
  return alert(
    'info',
    'TRAILING_STARTED',
    `${asset.symbol}: bid ${toPlain(bid)} reached the take-profit price ${toPlain(target)}; trailing: ` +
      `sells when the bid falls ${toPlain(deviation)} % below its highest (now at ${toPlain(trailingStopPrice(bid, deviation))} or below)`,
  );
}

/** A stop-loss sell is being placed: the cycle ends at a loss. */
export function stopLoss(context: CycleContext): CycleIntent {
  const { asset, ledger } = context;
  const inFlight = context.inFlight;
  const stop = stopLossPrice(ledger.averagePurchasePrice, asset.stopLossPercent!);
  return alert(
    'warn',
    'STOP_LOSS',
    `${asset.symbol}: stop-loss: bid ${context.quote ? toPlain(context.quote.bid) : '?'} is at or below ${toPlain(stop)} ` +
      `(${toPlain(asset.stopLossPercent!)} % below the average ${toPlain(ledger.averagePurchasePrice)}); ` +
      `selling ${inFlight?.qty ? toPlain(inFlight.qty) : 'the position'} at market (${inFlight?.clientOrderId ?? '?'})`,
  );
}

export function submitFailed(context: CycleContext, event: CycleEvent): CycleIntent {
  const reason = event.type === 'ORDER_SUBMIT_FAILED' ? event.reason : 'not accepted by the exchange';
  return alert(
    'warn',
    'ORDER_SUBMIT_FAILED',
    `${context.asset.symbol}: order ${context.inFlight?.clientOrderId} failed: ${reason}`,
  );
}

export function orderEnded(context: CycleContext, event: CycleEvent): CycleIntent {
  const order = 'order' in event ? event.order : null;
  const status = order?.status ?? 'unknown';
  const filled = order ? toPlain(order.filledQty) : '0';
  return alert(
    status === 'canceled' ? 'info' : 'warn',
    `ORDER_${status.toUpperCase()}`,
    `${context.asset.symbol}: order ${context.inFlight?.clientOrderId} ended ${status} with ${filled} filled`,
  );
}

export function cycleFailed(context: CycleContext): CycleIntent {
  return alert(
    'error',
    'CYCLE_ERROR',
    `${context.asset.symbol}: cycle ${context.cycleId} failed: ${context.reason}`,
  );
}

export function orderLost(context: CycleContext): CycleIntent {
  return alert(
    'warn',
    'ORDER_UNKNOWN',
    `${context.asset.symbol}: cycle ${context.cycleId} was waiting on an order without a client order id; back to watching`,
  );
}

/** The safety order a restored row may have sent unrecorded was never created: nothing to do. */
export function noUnrecordedOrder(context: CycleContext): CycleIntent {
  const seconds = context.policy.lookupGraceMs / 1000;
  return {
    type: 'log',
    level: 'info',
    event: 'no_unrecorded_order',
    message:
      `${context.asset.symbol}: no unrecorded safety order: ${context.inFlight?.clientOrderId} ` +
      `not on the exchange (looked up twice ${seconds} s apart)`,
  };
}
