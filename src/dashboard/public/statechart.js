// The cycle machine (src/machines/cycle.ts) as a small SVG: its six states and their transitions,
// with the current state highlighted. Drawn by hand so the page needs no layout library.
const NS = 'http://www.w3.org/2000/svg';
const W = 84;
const H = 26;

/** Top-left corner of each state's box. */
const STATES = {
  buying: [128, 6],
  cooldown: [8, 62],
  watching: [128, 62],
  selling: [248, 62],
  error: [128, 118],
  complete: [248, 118],
};

/** [path, label, label x, label y]; `next` is the dashed hand-over to the next cycle. */
const EDGES = [
  ['M 150 62 L 150 32', 'order', 118, 50],
  ['M 190 32 L 190 62', 'filled', 194, 50],
  ['M 92 75 L 128 75', 'expiry', 95, 71],
  ['M 212 70 L 248 70', 'TP', 223, 66],
  ['M 248 82 L 212 82', 'dead', 218, 95],
  ['M 290 88 L 290 118', 'filled', 294, 106],
  ['M 170 88 L 170 118', 'no pos.', 174, 106],
  ['M 290 144 L 290 156 L 50 156 L 50 88', 'next cycle', 100, 153, 'next'],
];

function el(name, attrs, text) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

export function statechart(current) {
  const svg = el('svg', { viewBox: '0 0 340 162', class: 'chart', role: 'img' });
  svg.append(el('title', {}, `cycle state: ${current}`));
  const defs = el('defs', {});
  const marker = el('marker', {
    id: 'arrow',
    viewBox: '0 0 8 8',
    refX: 7,
    refY: 4,
    markerWidth: 6,
    markerHeight: 6,
    orient: 'auto-start-reverse',
  });
  marker.append(el('path', { d: 'M 0 0 L 8 4 L 0 8 z', class: 'arrowhead' }));
  defs.append(marker);
  svg.append(defs);
  for (const [d, label, x, y, kind] of EDGES) {
    svg.append(el('path', { d, class: kind === 'next' ? 'edge next' : 'edge', 'marker-end': 'url(#arrow)' }));
    svg.append(el('text', { x, y, class: 'edge-label' }, label));
  }
  for (const [name, [x, y]] of Object.entries(STATES)) {
    const final = name === 'complete' || name === 'error';
    const g = el('g', { class: `state${name === current ? ' current' : ''}`, 'data-state': name });
    g.append(el('rect', { x, y, width: W, height: H, rx: final ? 3 : 12 }));
    if (final)
      g.append(el('rect', { x: x + 3, y: y + 3, width: W - 6, height: H - 6, rx: 2, class: 'inner' }));
    g.append(el('text', { x: x + W / 2, y: y + H / 2 + 4, 'text-anchor': 'middle' }, name));
    svg.append(g);
  }
  return svg;
}
