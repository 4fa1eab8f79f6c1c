// Renders the state the server sends over SSE. Text only goes in through textContent, so nothing
// in the data can become markup.
import { statechart } from './statechart.js';

const token = new URLSearchParams(location.search).get('token');
const $ = (id) => document.getElementById(id);

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') node.className = v;
    else node.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

const time = (iso) => (iso ? new Date(iso).toLocaleTimeString() : '—');
const dash = (v) => (v === null || v === undefined || v === '' ? '—' : String(v));
const signed = (v) =>
  v !== null && v !== undefined && !String(v).startsWith('-') && Number(v) !== 0 ? `+${v}` : dash(v);

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

function assetCard(a) {
  const card = h('article', { class: `asset state-${a.state}`, 'data-asset': a.symbol });
  const badges = h('span', { class: 'badges' });
  if (!a.enabled) badges.append(h('span', { class: 'pill warn' }, 'disabled'));
  if (!a.tradable) badges.append(h('span', { class: 'pill warn' }, 'not tradable'));
  card.append(
    h(
      'header',
      {},
      h('h2', {}, a.symbol),
      h('span', { class: `pill state-pill s-${a.state}`, 'data-testid': 'state' }, a.state),
      h('span', { class: 'muted' }, a.cycleId === null ? '' : `cycle #${a.cycleId}`),
      badges,
    ),
  );
  const quote = h(
    'div',
    { class: 'quote' },
    h('span', {}, 'bid ', h('strong', {}, dash(a.bid))),
    h('span', {}, 'ask ', h('strong', {}, dash(a.ask))),
    h('span', { class: 'muted small' }, a.quoteAt ? time(a.quoteAt) : 'no quote yet'),
  );
  const facts = h('dl', {});
  facts.append(
    row('Held', `${a.quantity}`),
    row('Avg price', dash(a.averagePrice)),
    row('Last fill', dash(a.lastFillPrice)),
    row('Safety orders', `${a.safetyOrdersUsed} / ${a.safetyOrdersMax}`),
    row('Next safety', triggerText(a.nextSafety, 'ask ≤')),
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
  card.append(
    h(
      'div',
      { class: 'body' },
      h('div', { class: 'chart-box' }, statechart(a.state)),
      h('div', {}, quote, facts),
    ),
  );
  return card;
}

function fillTable(id, rows) {
  const body = $(id).querySelector('tbody');
  body.replaceChildren(...rows);
}

const td = (text, cls) => h('td', cls ? { class: cls } : {}, dash(text));

function render(s) {
  $('mode').textContent = `${s.mode} mode`;
  $('updated').textContent = `updated ${time(s.at)}`;
  $('assets').replaceChildren(
    ...(s.assets.length
      ? s.assets.map(assetCard)
      : [h('p', { class: 'muted' }, 'No asset actors are running.')]),
  );
  const err = $('ledger-error');
  err.hidden = !s.ledgerError;
  err.textContent = s.ledgerError ?? '';
  fillTable(
    'orders',
    s.orders.map((o) =>
      h(
        'tr',
        { class: `side-${o.side}` },
        td(time(o.at)),
        td(o.symbol),
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
  );
  if (!s.orders.length)
    fillTable('orders', [h('tr', {}, h('td', { colspan: 10, class: 'muted' }, 'No orders yet.'))]);
  $('pnl-total').textContent = signed(s.pnl.total);
  $('pnl-total').className = Number(s.pnl.total) < 0 ? 'neg' : 'pos';
  fillTable(
    'pnl-assets',
    s.pnl.assets.map((a) => h('tr', {}, td(a.symbol), td(a.cycles, 'num'), td(signed(a.realizedPnl), 'num'))),
  );
  fillTable(
    'pnl-cycles',
    s.pnl.cycles.map((c) =>
      h(
        'tr',
        {},
        td(`#${c.cycleId}`),
        td(c.symbol),
        td(time(c.completedAt)),
        td(c.cost, 'num'),
        td(c.proceeds, 'num'),
        td(signed(c.realizedPnl), 'num'),
      ),
    ),
  );
  if (!s.pnl.cycles.length)
    fillTable('pnl-cycles', [
      h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No completed cycle yet.')),
    ]);
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
