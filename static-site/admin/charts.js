// The response rate day by day as lines, in SVG drawn with attributes only
// (the CSP allows no style attributes), on the results page's pattern
// (/resultater/charts.js): each series its own colour and dash, its last value
// written at its end, role="img" with a text alternative, and a table beside
// it with every number. The axis starts at 0 % and reaches at least 100 %.
import { s, W, lineStyle } from '/resultater/charts.js';
import { fmtDay, pct } from './ui.js';

const r2 = (v) => Math.round(v * 100) / 100;

function text(x, y, str, attrs) {
  const e = s('text', { x: r2(x), y: r2(y), ...attrs });
  e.textContent = str;
  return e;
}

// days: "2026-09-01", …; series: [{label, values: [per cent | null per day]}];
// width and height of the viewBox (text is drawn 11 units high).
export function rateChart(days, series, alt, { width = W, height = 180 } = {}) {
  const left = 40;
  const right = width - 44;
  const top = 8;
  const bottom = height - 22;
  const values = series.flatMap((se) => se.values).filter((v) => typeof v === 'number');
  const hi = Math.max(100, Math.ceil(Math.max(0, ...values) / 25) * 25);
  const y = (v) => bottom - (v / hi) * (bottom - top);
  const x = (i) => (days.length === 1 ? (left + right) / 2 : left + (i / (days.length - 1)) * (right - left));
  const kids = [];
  for (let v = 0; v <= hi; v += hi > 100 ? 50 : 25) {
    kids.push(s('line', { x1: left, x2: right, y1: r2(y(v)), y2: r2(y(v)), stroke: '#949494', 'stroke-width': v ? 0.6 : 1, 'stroke-dasharray': v ? '2 3' : null }));
    kids.push(text(left - 4, y(v) + 4, pct(v), { class: 'tick', 'font-size': 11, 'text-anchor': 'end' }));
  }
  // Dates under the axis every `step` days, at least 60 units apart, and the last day's.
  const gap = days.length > 1 ? (right - left) / (days.length - 1) : Infinity;
  const step = Math.ceil(60 / gap);
  const ticks = days.map((_, i) => i).filter((i) => i % step === 0 && (days.length - 1 - i) * gap >= 60);
  ticks.push(days.length - 1);
  for (const i of ticks) kids.push(text(x(i), height - 6, fmtDay(days[i]), { class: 'tick', 'font-size': 11, 'text-anchor': days.length === 1 ? 'middle' : i === 0 ? 'start' : i === days.length - 1 ? 'end' : 'middle' }));
  const ends = [];
  series.forEach((se, k) => {
    const st = lineStyle(k);
    let d = '';
    se.values.forEach((v, i) => {
      if (typeof v !== 'number') return;
      d += `${d && typeof se.values[i - 1] === 'number' ? 'L' : 'M'}${r2(x(i))} ${r2(y(v))}`;
    });
    if (!d) return;
    kids.push(s('path', { d, fill: 'none', stroke: st.color, 'stroke-width': 2.5, 'stroke-dasharray': st.dash, 'stroke-linejoin': 'round' }));
    const last = se.values.length - 1 - [...se.values].reverse().findIndex((v) => typeof v === 'number');
    kids.push(s('circle', { cx: r2(x(last)), cy: r2(y(se.values[last])), r: 3.5, fill: '#fff', stroke: st.color, 'stroke-width': 2 }));
    ends.push({ x: x(last) + 7, y: y(se.values[last]) + 4, label: pct(se.values[last]) });
  });
  // End labels at least a line apart, in the order of their lines.
  ends.sort((a, b) => a.y - b.y);
  ends.forEach((e, i) => { if (i > 0 && e.y - ends[i - 1].y < 12) e.y = ends[i - 1].y + 12; });
  for (const e of ends) kids.push(text(e.x, e.y, e.label, { class: 'val', 'font-size': 11, 'font-weight': 700 }));
  return s('svg', {
    class: 'chart rates', viewBox: `0 0 ${width} ${height}`, width, height,
    role: 'img', 'aria-label': alt, focusable: 'false', preserveAspectRatio: 'xMinYMin meet',
  }, kids);
}

// A legend swatch for series i: a short stroke in its colour and dash.
export function swatch(i) {
  const st = lineStyle(i);
  return s('svg', { class: 'swatch', viewBox: '0 0 24 16', width: 24, height: 16, 'aria-hidden': 'true', focusable: 'false' }, [
    s('path', { d: 'M1 8H23', stroke: st.color, 'stroke-width': 2.5, 'stroke-dasharray': st.dash, fill: 'none' }),
  ]);
}
