// One asset's price chart: TradingView's lightweight-charts (served by the bot as chart.js, the
// library's standalone build), 1-minute candles, this cycle's fills as markers, and price lines for
// the average price, the next safety trigger and the take-profit price.
const LWC = globalThis.LightweightCharts;

const COLORS = { avg: '#2f6fde', safety: '#d98a00', takeProfit: '#1f8a42', buy: '#2f6fde', sell: '#8a4fd6' };

export function priceChart(box) {
  const chart = LWC.createChart(box, {
    height: 220,
    autoSize: true,
    // The library's logo injects a <style> the page's CSP refuses; the page's footer carries the
    // attribution notice and the link to TradingView its licence asks for instead.
    layout: { background: { color: '#ffffff' }, textColor: '#1d2430', fontSize: 11, attributionLogo: false },
    grid: { vertLines: { color: '#eef0f3' }, horzLines: { color: '#eef0f3' } },
    timeScale: { timeVisible: true, secondsVisible: false, barSpacing: 12, rightOffset: 6 },
    rightPriceScale: { borderColor: '#dde1e6' },
  });
  // The price scale also spans the lines, so the take-profit shows however far the price is from it.
  const levels = [];
  const series = chart.addSeries(LWC.CandlestickSeries, {
    autoscaleInfoProvider: (original) => {
      const info = original();
      if (!info || levels.length === 0) return info;
      const { minValue, maxValue } = info.priceRange;
      return {
        ...info,
        priceRange: { minValue: Math.min(minValue, ...levels), maxValue: Math.max(maxValue, ...levels) },
      };
    },
    upColor: '#1f8a42',
    downColor: '#c0392b',
    wickUpColor: '#1f8a42',
    wickDownColor: '#c0392b',
    borderVisible: false,
  });
  const markers = LWC.createSeriesMarkers(series, []);
  const lines = {};
  let lastBars = '';
  let lastMarkers = '';

  function line(key, price, title) {
    const value = price === null || price === undefined ? null : Number(price);
    const current = lines[key];
    if (current && value !== null && current.options().price === value) return;
    if (current) series.removePriceLine(current);
    delete lines[key];
    if (value === null) return;
    lines[key] = series.createPriceLine({
      price: value,
      color: COLORS[key],
      lineWidth: 1,
      lineStyle: LWC.LineStyle.Dashed,
      axisLabelVisible: true,
      title,
    });
  }

  return {
    update(a) {
      const bars = JSON.stringify(a.bars);
      if (bars !== lastBars) {
        lastBars = bars;
        series.setData(a.bars);
      }
      // A marker sits on a bar: each fill on the minute it happened (or the nearest bar before it).
      const times = a.bars.map((b) => b.time);
      const onBar = (t) => {
        let best = times[0];
        for (const bt of times) if (bt <= t) best = bt;
        return best;
      };
      const wanted = times.length
        ? a.fills.map((f) => ({
            time: onBar(f.time),
            position: f.side === 'buy' ? 'belowBar' : 'aboveBar',
            color: COLORS[f.side] ?? '#6b7480',
            shape: f.side === 'buy' ? 'arrowUp' : 'arrowDown',
            text: `${f.step} ${f.price}`,
          }))
        : [];
      const key = JSON.stringify(wanted);
      if (key !== lastMarkers) {
        lastMarkers = key;
        markers.setMarkers(wanted);
      }
      box.dataset.bars = String(a.bars.length);
      box.dataset.markers = String(wanted.length);
      line('avg', a.averagePrice, 'avg');
      line('safety', a.nextSafety?.price, 'safety');
      line('takeProfit', a.takeProfit?.price, 'take profit');
      box.dataset.lines = Object.keys(lines).sort().join(' ');
      levels.splice(0, levels.length, ...Object.values(lines).map((l) => l.options().price));
    },
    remove() {
      chart.remove();
    },
  };
}
