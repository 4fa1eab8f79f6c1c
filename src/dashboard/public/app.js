// Renders the state the server sends over SSE. Text only goes in through textContent, so nothing
// in the data can become markup. Each asset's card is built once and updated in place, so its chart
// and a settings form being typed into survive the next state.
import { priceChart } from './chartView.js';
import { controlBar, SETTING_FIELD, SETTINGS } from './controls.js';
import { h } from './dom.js';
import { statechart } from './statechart.js';

// The page itself needs the token in its URL (a bookmark, EventSource).
const token = new URLSearchParams(location.search).get('token');
const $ = (id) => document.getElementById(id);

const time = (iso) => (iso ? new Date(iso).toLocaleTimeString() : '—');
/** Full date and time, e.g. for the orders table (a bare time is ambiguous past midnight). */
const dateTime = (iso) => {
  if (!iso) return '—';
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${d.toLocaleTimeString()}`;
};
const dash = (v) => (v === null || v === undefined || v === '' ? '—' : String(v));
const signed = (v) =>
  v !== null && v !== undefined && !String(v).startsWith('-') && Number(v) !== 0 ? `+${v}` : dash(v);
const sign = (v) => (v === null || v === undefined ? '' : Number(v) < 0 ? 'neg' : 'pos');

function row(label, value, extra) {
  return h('div', { class: 'row' }, h('dt', {}, label), h('dd', {}, value, extra ?? null));
}

function triggerText(t, verb) {
  if (!t) return '—';
  const d = t.distancePercent;
  const reached = d !== null && (d.startsWith('-') || Number(d) === 0);
  const away = d === null ? '' : reached ? ` · reached (${t.against})` : ` · ${t.against} ${d}% away`;
  return `${verb} ${t.price}${away}`;
}

let controls = { enabled: false, reason: null };

const cards = new Map();

function buildCard(symbol) {
  const root = h('article', { class: 'asset', 'data-asset': symbol });
  const head = h('header', {});
  const chartBox = h('div', { class: 'price-chart', 'data-testid': 'price-chart' });
  const live = h('div', { class: 'live' });
  const machine = h('div', { class: 'chart-box' });
  const ui = controlBar(root, symbol);
  root.append(head, h('div', { class: 'body' }, machine, live), chartBox, ui.bar, ui.result);
  const card = { root, head, chartBox, live, machine, ui, chart: null, machineState: null };
  cards.set(symbol, card);
  return card;
}

function updateCard(card, a) {
  const { root, ui } = card;
  root.className = `asset state-${a.state}`;
  root.dataset.qty = a.quantity;
  const badges = h('span', { class: 'badges' });
  if (!a.enabled) badges.append(h('span', { class: 'pill warn' }, 'disabled'));
  if (a.running && !a.tradable) badges.append(h('span', { class: 'pill warn' }, 'not tradable'));
  card.head.replaceChildren(
    h('h2', {}, a.symbol),
    h('span', { class: `pill state-pill s-${a.state}`, 'data-testid': 'state' }, a.state),
    h('span', { class: 'muted' }, a.cycleId === null ? '' : `cycle #${a.cycleId}`),
    badges,
  );
  if (card.machineState !== a.state) {
    card.machine.replaceChildren(statechart(a.state));
    card.machineState = a.state;
  }
  const quote = h(
    'div',
    { class: 'quote' },
    h('span', {}, 'bid ', h('strong', {}, dash(a.bid))),
    h('span', {}, 'ask ', h('strong', {}, dash(a.ask))),
    h('span', { class: 'muted small' }, a.quoteAt ? time(a.quoteAt) : 'no quote yet'),
  );
  const facts = h('dl', {});
  const pnl = h(
    'strong',
    { class: sign(a.unrealizedPnl), 'data-testid': 'unrealized' },
    signed(a.unrealizedPnl),
  );
  facts.append(
    row('Held', `${a.quantity}`),
    row(
      'Unrealized P&L',
      pnl,
      h('span', { class: 'muted small' }, a.unrealizedPnl ? ' at the bid, after the fee' : ''),
    ),
    row('Capital in use', `${a.capitalInUse} of ${a.capitalMax} USD`, capitalBar(a)),
    row('Avg price', dash(a.averagePrice)),
    row('Last fill', dash(a.lastFillPrice)),
    row('Safety orders', `${a.safetyOrdersUsed} / ${a.safetyOrdersMax}`),
    row('Next safety', a.nextSafetyNote ?? triggerText(a.nextSafety, 'ask ≤')),
    row('Take profit', triggerText(a.takeProfit, 'bid ≥')),
  );
  if (a.trailing) {
    const t = a.trailing;
    const under = t.peak
      ? `peak ${t.peak} · sells ${triggerText(t.sellAt, 'bid ≤')}`
      : 'from the take-profit price';
    facts.append(row('Trailing', `${t.deviationPercent}% below the peak · ${under}`));
  }
  if (a.stopLoss) facts.append(row('Stop-loss', triggerText(a.stopLoss, 'bid ≤')));
  if (a.inFlight) {
    const o = a.inFlight;
    const size = o.qty ? ` ${o.qty}` : '';
    const limit = o.limitPrice ? ` @ ${o.limitPrice}` : ' market';
    facts.append(
      row(
        'In flight',
        `${o.step} ${o.side}${size}${limit}`,
        h(
          'span',
          { class: 'muted small' },
          ` filled ${o.filledQty} · ${o.orderId ? 'acknowledged' : 'sent'}`,
        ),
      ),
    );
  } else {
    facts.append(row('In flight', '—'));
  }
  if (a.cooldownRemainingSeconds !== null) {
    facts.append(
      row(
        'Cooldown',
        `${a.cooldownRemainingSeconds} s left`,
        a.earlyRestart
          ? h('span', { class: 'muted small' }, ` · ${triggerText(a.earlyRestart, 'or ask ≤')}`)
          : null,
      ),
    );
  }
  card.live.replaceChildren(quote, facts);

  if (a.running) {
    if (!card.chart) card.chart = priceChart(card.chartBox);
    card.chart.update(a);
  }
  card.chartBox.hidden = !a.running;

  ui.bar.hidden = !controls.enabled;
  ui.toggle.textContent = a.enabled ? 'Disable' : 'Enable';
  ui.toggle.dataset.action = a.enabled ? 'disable' : 'enable';
  ui.sellNow.disabled = a.takeProfitNowBlocked !== null;
  ui.sellNow.title = a.takeProfitNowBlocked ?? 'market-sell this cycle now (asks to confirm)';
  ui.cancel.disabled = a.cancelBlocked !== null;
  ui.cancel.title = a.cancelBlocked ?? 'cancel the order in flight';
  ui.details.hidden = !a.settings;
  if (a.settings && !ui.details.open) {
    for (const [flag] of SETTINGS) {
      const input = ui.form.elements.namedItem(flag);
      input.value = String(a.settings[SETTING_FIELD[flag]]);
      input.dataset.was = input.value;
    }
  }
}

function capitalBar(a) {
  const max = Number(a.capitalMax);
  const pct = max > 0 ? Math.min(100, (Number(a.capitalInUse) / max) * 100) : 0;
  const fill = h('span', { class: 'fill' });
  fill.style.width = `${pct.toFixed(1)}%`;
  return h('span', { class: 'meter', title: `${pct.toFixed(0)} % of the maximum` }, fill);
}

function fillTable(id, rows, empty, colspan) {
  const body = $(id).querySelector('tbody');
  body.replaceChildren(...(rows.length ? rows : [h('tr', {}, h('td', { colspan, class: 'muted' }, empty))]));
}

const td = (text, cls) => h('td', cls ? { class: cls } : {}, dash(text));

function render(s) {
  controls = s.controls;
  $('mode').textContent = `${s.mode} mode`;
  $('updated').textContent = `updated ${time(s.at)}`;
  const access = $('access');
  access.textContent = s.controls.enabled ? 'controls on' : s.controls.reason;
  access.className = `pill ${s.controls.enabled ? 'controls-on' : 'read-only'}`;
  $('cash').textContent = s.account ? s.account.cash : '—';
  $('buying-power').textContent = s.account ? s.account.buyingPower : '—';

  const seen = new Set();
  const list = $('assets');
  for (const a of s.assets) {
    seen.add(a.symbol);
    const card = cards.get(a.symbol) ?? buildCard(a.symbol);
    updateCard(card, a);
  }
  for (const [symbol, card] of cards) {
    if (seen.has(symbol)) continue;
    card.chart?.remove();
    cards.delete(symbol);
  }
  const wanted = s.assets.map((a) => cards.get(a.symbol).root);
  if (wanted.length === 0) list.replaceChildren(h('p', { class: 'muted' }, 'No assets yet.'));
  else if (wanted.some((node, i) => list.children[i] !== node) || list.children.length !== wanted.length)
    list.replaceChildren(...wanted);

  const err = $('ledger-error');
  err.hidden = !s.ledgerError;
  err.textContent = s.ledgerError ?? '';
  fillTable(
    'orders',
    s.orders.map((o) =>
      h(
        'tr',
        { class: `side-${o.side}` },
        td(dateTime(o.at)),
        td(o.symbol),
        td(`#${o.cycleId}`),
        td(o.step),
        td(o.side),
        td(o.type),
        td(o.status),
        td(o.qty, 'num'),
        td(o.limitPrice, 'num'),
        td(o.filledQty, 'num'),
        td(o.filledAvgPrice, 'num'),
      ),
    ),
    'No orders yet.',
    11,
  );
  $('pnl-total').textContent = signed(s.pnl.total);
  $('pnl-total').className = sign(s.pnl.total);
  const errorCost = $('pnl-error-cost');
  errorCost.hidden = Number(s.pnl.errorCost) === 0 || s.pnl.errorCost === '—';
  errorCost.textContent = `error cycles cost ${s.pnl.errorCost} USD (not in the total)`;
  const sums = (x) => [
    td(x.cycles, 'num'),
    td(signed(x.realizedPnl), `num ${sign(x.realizedPnl)}`),
    td(x.errorCycles ? `${x.errorCycles} · ${x.errorCost}` : '—', `num ${x.errorCycles ? 'neg' : ''}`),
  ];
  fillTable(
    'pnl-assets',
    s.pnl.assets.map((a) => h('tr', {}, td(a.symbol), ...sums(a))),
    'No assets.',
    4,
  );
  fillTable(
    'pnl-days',
    s.pnl.days.map((d) => h('tr', {}, td(d.day), ...sums(d))),
    'No finished cycle yet.',
    4,
  );
  fillTable(
    'pnl-cycles',
    s.pnl.cycles.map((c) =>
      h(
        'tr',
        { class: `cycle-${c.status}` },
        td(`#${c.cycleId}`),
        td(c.symbol),
        td(c.status),
        td(dateTime(c.completedAt)),
        td(c.cost, 'num'),
        td(c.proceeds, 'num'),
        td(signed(c.realizedPnl), `num ${sign(c.realizedPnl)}`),
      ),
    ),
    'No completed cycle yet.',
    7,
  );
  fillTable(
    'alerts',
    s.alerts.map((a) =>
      h(
        'tr',
        { class: `alert-${a.level}` },
        td(dateTime(a.at)),
        h('td', {}, h('span', { class: `pill level-${a.level}` }, a.level)),
        td(a.code),
        td(a.asset),
        td(a.message, 'small'),
      ),
    ),
    'No alerts.',
    5,
  );
  fillTable(
    'supervisor',
    s.supervisor.map((c) =>
      h(
        'tr',
        { class: `child-${c.state}` },
        td(c.id),
        td(c.state),
        td(c.restarts, 'num'),
        td(time(c.since)),
        td(c.nextRetryAt ? time(c.nextRetryAt) : '—'),
        td(c.reason ? `${c.reason}${c.lastError ? ` (${c.lastError})` : ''}` : c.lastError, 'muted small'),
      ),
    ),
    'No children.',
    6,
  );
}

function connect() {
  const source = new EventSource(token ? `events?token=${encodeURIComponent(token)}` : 'events');
  const link = $('link');
  source.onopen = () => {
    link.textContent = 'live';
    link.className = 'pill link-up';
  };
  source.onerror = () => {
    link.textContent = 'reconnecting…';
    link.className = 'pill link-down';
  };
  source.onmessage = (e) => render(JSON.parse(e.data));
}

connect();
