// One asset's controls: each sends a JSON control to the bot with the token in the Authorization
// header (never the URL); "take profit now" asks to confirm first. The answer shows on the card.
import { h } from './dom.js';

const token = new URLSearchParams(location.search).get('token');

/** Sends one control; the answer's message shows on the card. */
async function sendControl(card, body) {
  const out = card.querySelector('[data-testid="control-result"]');
  out.textContent = '…';
  out.className = 'control-result muted small';
  try {
    const res = await fetch('control', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token ?? ''}` },
      body: JSON.stringify(body),
    });
    const answer = await res.json().catch(() => ({ message: `HTTP ${res.status}` }));
    out.textContent = answer.message;
    out.className = `control-result small ${res.ok ? 'ok' : 'refused'}`;
  } catch (err) {
    out.textContent = `not sent: ${err}`;
    out.className = 'control-result small refused';
  }
}

export const SETTINGS = [
  ['base', 'Base order (USD)'],
  ['safety', 'Safety order (USD)'],
  ['max-safety', 'Max safety orders'],
  ['deviation', 'Safety deviation (%)'],
  ['take-profit', 'Take profit (%)'],
  ['cooldown', 'Cooldown (s)'],
  ['restart-drop', 'Restart drop (%)'],
];
export const SETTING_FIELD = {
  base: 'base',
  safety: 'safety',
  'max-safety': 'maxSafety',
  deviation: 'deviation',
  'take-profit': 'takeProfit',
  cooldown: 'cooldown',
  'restart-drop': 'restartDrop',
};

export function controlBar(card, symbol) {
  const toggle = h('button', { type: 'button', 'data-testid': 'toggle' });
  toggle.addEventListener('click', () => sendControl(card, { action: toggle.dataset.action, asset: symbol }));
  const sellNow = h(
    'button',
    { type: 'button', 'data-testid': 'take-profit-now', class: 'danger' },
    'Take profit now',
  );
  const confirmBox = h('div', { class: 'confirm', hidden: true, 'data-testid': 'confirm' });
  const confirmText = h('span', {});
  const confirmYes = h(
    'button',
    { type: 'button', class: 'danger', 'data-testid': 'confirm-sell' },
    'Sell at market',
  );
  const confirmNo = h('button', { type: 'button' }, 'Keep');
  confirmBox.append(confirmText, ' ', confirmYes, ' ', confirmNo);
  sellNow.addEventListener('click', () => {
    confirmText.textContent = `Sell the whole position of ${symbol} at market now (${card.dataset.qty})?`;
    confirmBox.hidden = false;
  });
  confirmNo.addEventListener('click', () => {
    confirmBox.hidden = true;
  });
  confirmYes.addEventListener('click', () => {
    confirmBox.hidden = true;
    sendControl(card, { action: 'take-profit-now', asset: symbol, confirm: symbol });
  });
  const cancel = h('button', { type: 'button', 'data-testid': 'cancel-order' }, 'Cancel order');
  cancel.addEventListener('click', () => sendControl(card, { action: 'cancel-order', asset: symbol }));

  const form = h('form', { class: 'settings', 'data-testid': 'settings' });
  for (const [flag, label] of SETTINGS) {
    form.append(h('label', {}, label, h('input', { name: flag, inputmode: 'decimal', autocomplete: 'off' })));
  }
  form.append(h('button', { type: 'submit' }, 'Save settings'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const settings = {};
    for (const [flag] of SETTINGS) {
      const input = form.elements.namedItem(flag);
      if (input.value !== input.dataset.was) settings[flag] = input.value;
    }
    sendControl(card, { action: 'settings', asset: symbol, settings });
  });
  const details = h('details', { class: 'settings-box' }, h('summary', {}, 'Settings'), form);
  const bar = h('div', { class: 'controls' }, toggle, sellNow, cancel, details, confirmBox);
  const result = h('p', { class: 'control-result small', 'data-testid': 'control-result' });
  return { bar, result, toggle, sellNow, cancel, form, details };
}
