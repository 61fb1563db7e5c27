// SVG charts for /resultater/, drawn with attributes only (the CSP allows no
// style attributes). Every chart has a viewBox W units wide and scales to its
// box. Fills carry a texture as well as a colour (lines, dots, hatching, drawn
// as plain paths so they print as vectors), and every bar has a dark outline,
// so neither colour alone nor a low-contrast fill carries meaning. Charts are
// role="img" with a short text alternative; the figure's table holds every number.

const NS = 'http://www.w3.org/2000/svg';
export const W = 300;

export function s(tag, attrs, kids) {
  const e = document.createElementNS(NS, tag);
  if (attrs) for (const k in attrs) if (attrs[k] != null) e.setAttribute(k, attrs[k]);
  if (kids) e.append(...kids.filter((k) => k != null));
  return e;
}

// Fills: base colour, text colour on it, and texture (h: horizontal lines,
// d: "/" lines, b: "\" lines, o: dots, x: cross-hatching) in `color`.
const FILLS = {
  s1: { base: '#8c2d04', ink: '#fff', mark: 'h', color: '#d0774f' },
  s2: { base: '#f4a259', ink: '#000', mark: 'd', color: '#b86a22' },
  s3: { base: '#d9d9d9', ink: '#000', mark: 'o', color: '#6e6e6e' },
  s4: { base: '#7fb2e5', ink: '#000', mark: 'b', color: '#3d7dbf' },
  s5: { base: '#0b4f8a', ink: '#fff', mark: null },
  sdk: { base: '#ffffff', ink: '#000', mark: 'x', color: '#8a8a8a' },
  p0: { base: '#0b4f8a', ink: '#fff', mark: null },
  p1: { base: '#b35806', ink: '#fff', mark: 'd', color: '#e8a56b' },
  p2: { base: '#1b7837', ink: '#fff', mark: 'b', color: '#7fbf7b' },
  p3: { base: '#762a83', ink: '#fff', mark: 'h', color: '#c2a5cf' },
  p4: { base: '#6b6b6b', ink: '#fff', mark: 'o', color: '#dadada' },
  p5: { base: '#9ecae1', ink: '#000', mark: 'o', color: '#0b4f8a' },
  wh: { base: '#f2f2f2', ink: '#000', mark: 'd', color: '#a8a8a8' },
};
export const OUTLINE = '#1b1b1b';

// The fill key of scale value v ("1".."5", "dont_know") and of population i.
export const scaleFill = (v) => (v === 'dont_know' ? 'sdk' : 's' + v);
export const popFill = (i) => 'p' + i;

const r2 = (v) => Math.round(v * 100) / 100;

// Diagonal lines x + dir·y = k on a grid of `step`, clipped to the box.
function diagonals(x0, y0, w, h, dir, step) {
  let d = '';
  const x1 = x0 + w;
  const y1 = y0 + h;
  const lo = dir > 0 ? x0 + y0 : x0 - y1;
  const hi = dir > 0 ? x1 + y1 : x1 - y0;
  for (let k = Math.ceil(lo / step) * step; k <= hi; k += step) {
    // x + y = k  (dir 1): y = k - x;  x - y = k (dir -1): y = x - k
    const a = dir > 0 ? Math.max(x0, k - y1) : Math.max(x0, k + y0);
    const b = dir > 0 ? Math.min(x1, k - y0) : Math.min(x1, k + y1);
    if (b - a < 0.3) continue;
    const ya = dir > 0 ? k - a : a - k;
    const yb = dir > 0 ? k - b : b - k;
    d += `M${r2(a)} ${r2(ya)}L${r2(b)} ${r2(yb)}`;
  }
  return d;
}

// The texture of fill `key` over a box, as a path (or null for a plain fill).
function texture(key, x, y, w, h) {
  const f = FILLS[key];
  if (!f.mark || w < 1 || h < 1) return null;
  const [x0, y0, iw, ih] = [x + 0.5, y + 0.5, w - 1, h - 1];
  if (iw <= 0 || ih <= 0) return null;
  if (f.mark === 'o') {
    let d = '';
    for (let cy = Math.ceil((y0 + 1) / 6) * 6 - 3; cy < y0 + ih - 1; cy += 6) {
      for (let cx = Math.ceil((x0 + 1) / 6) * 6 - 3; cx < x0 + iw - 1; cx += 6) d += `M${r2(cx - 1)} ${r2(cy - 1)}h2v2h-2z`;
    }
    return d ? s('path', { d, fill: f.color }) : null;
  }
  let d = '';
  let width = 1.2;
  if (f.mark === 'h') {
    for (let yy = Math.ceil(y0 / 5) * 5 + 2; yy < y0 + ih - 0.5; yy += 5) d += `M${r2(x0)} ${yy}H${r2(x0 + iw)}`;
    width = 1.1;
  } else if (f.mark === 'd') d = diagonals(x0, y0, iw, ih, 1, 8);
  else if (f.mark === 'b') d = diagonals(x0, y0, iw, ih, -1, 8);
  else if (f.mark === 'x') { d = diagonals(x0, y0, iw, ih, 1, 8) + diagonals(x0, y0, iw, ih, -1, 8); width = 0.8; }
  return d ? s('path', { d, stroke: f.color, 'stroke-width': width, fill: 'none' }) : null;
}

// A box in fill `key`: base colour with its texture, outlined.
function box(key, x, y, w, h, attrs = {}) {
  return [
    s('rect', { x: r2(x), y: r2(y), width: r2(w), height: r2(h), fill: FILLS[key].base, stroke: OUTLINE, 'stroke-width': 1, ...attrs }),
    texture(key, x, y, w, h),
  ];
}

// A small legend swatch in fill `key`.
export function swatch(key) {
  return s('svg', { class: 'swatch', viewBox: '0 0 24 16', width: 24, height: 16, 'aria-hidden': 'true', focusable: 'false' }, box(key, 0.5, 0.5, 23, 15));
}

function text(x, y, str, attrs = {}) {
  const e = s('text', { x, y, ...attrs });
  e.textContent = str;
  return e;
}

// Text inside a fill: its ink, with a halo of the fill's base colour over the texture.
function inkText(x, y, str, key, attrs = {}) {
  const f = FILLS[key];
  return text(r2(x), r2(y), str, {
    fill: f.ink, stroke: f.base, 'stroke-width': 3, 'paint-order': 'stroke', 'stroke-linejoin': 'round',
    'font-size': 12, 'text-anchor': 'middle', ...attrs,
  });
}

const DASHED = { stroke: '#595959', 'stroke-dasharray': '4 2' };

// A hatched, dashed box with a message (withheld, or no answers).
function messageBox(x, y, w, h, msg) {
  return [...box('wh', x, y, w, h, DASHED), inkText(x + w / 2, y + h / 2 + 4, msg, 'wh', { 'data-max': w - 8 })];
}

function chart(h, alt, kids, cls) {
  return s('svg', {
    class: 'chart ' + cls, viewBox: `0 0 ${W} ${h}`, width: W, height: h,
    role: 'img', 'aria-label': alt, focusable: 'false', preserveAspectRatio: 'xMinYMin meet',
  }, kids);
}

// Wraps a label into lines of at most `max` characters (words kept whole when they fit).
// A longer word is hyphenated, at a compound's joining "s" where there is one
// ("Introduksjons-" / "programmet"), so it is never squeezed or cut.
export function wrap(str, max) {
  const lines = [];
  let line = '';
  for (const word of String(str).split(/\s+/).filter(Boolean)) {
    const parts = split(word, max);
    const last = parts.pop();
    if (line && (line + ' ' + (parts[0] || last)).length > max) { lines.push(line); line = ''; }
    if (parts.length) {
      lines.push((line ? line + ' ' : '') + parts[0], ...parts.slice(1));
      line = last;
    } else line = line ? line + ' ' + last : last;
  }
  if (line) lines.push(line);
  return lines.length ? lines : [''];
}

// A word too long for a line, in pieces that fit, each but the last ending in "-".
function split(word, max) {
  if (word.length <= max) return [word];
  const joint = word.slice(0, max - 1).search(/s(?=[^s]*$)/);
  const at = joint >= 4 && word.length - joint - 1 >= 3 ? joint + 1 : max - 1;
  return [word.slice(0, at) + '-', ...split(word.slice(at), max)];
}

// 100 % stacked bars, one per population. Every segment gets its value as a
// label inside it; fitLabels() hides those that turn out wider than their
// segment once drawn (the value stays in the segment's title and the table).
// rows: [{label, withheld?: msg, empty?: msg, segments: [{key, share, text}]}]
export function stacked(rows, alt) {
  const rowH = 42;
  const bh = 20;
  const kids = [];
  rows.forEach((r, i) => {
    const y = i * rowH;
    kids.push(text(0, y + 12, r.label, { class: 'lbl', 'font-size': 13, 'data-max': W }));
    const by = y + 17;
    if (r.withheld || r.empty) { kids.push(...messageBox(0.5, by, W - 1, bh, r.withheld || r.empty)); return; }
    let x = 0.5;
    const g = s('g', { class: 'bar' });
    const labels = [];
    for (const seg of r.segments) {
      const w = (seg.share || 0) * (W - 1);
      if (w <= 0) continue;
      const [rect, tex] = box(seg.key, x, by, w, bh);
      rect.append(s('title', null, [seg.text]));
      g.append(...[rect, tex].filter(Boolean));
      labels.push(inkText(x + w / 2, by + bh / 2 + 4, seg.text, seg.key, { 'font-size': 11, 'data-room': r2(w - 3), class: 'seg' }));
      x += w;
    }
    g.append(...labels);
    kids.push(g);
  });
  return chart(Math.max(rows.length * rowH - 4, 20), alt, kids, 'stacked');
}

// Grouped horizontal bars, one row per option: its label on the left, a thin
// bar per population on the right, each with its value.
// options: [{label, bars: [{pop, share, text}]}]; when no population can be
// shown, `message` fills the chart instead.
export function grouped(options, alt, message) {
  if (message) return chart(40, alt, messageBox(0.5, 6, W - 1, 28, message), 'grouped');
  const kids = [];
  const labelW = 116;
  const x0 = labelW + 4;
  const max = W - x0 - 34;
  const bh = 11;
  const pitch = 14;
  let y = 0;
  for (const o of options) {
    const lines = wrap(o.label, 19);
    lines.forEach((line, i) => kids.push(text(0, y + 11 + i * 14, line, { class: 'lbl', 'font-size': 12, 'data-max': labelW })));
    o.bars.forEach((b, i) => {
      const by = y + 1 + i * pitch;
      const w = Math.max(0, (b.share || 0) * max);
      if (w > 0) kids.push(...box(popFill(b.pop), x0, by, w, bh).filter(Boolean));
      else kids.push(s('rect', { x: x0, y: by, width: 1.5, height: bh, fill: OUTLINE }));
      kids.push(text(r2(x0 + w + 4), by + bh - 1.5, b.text, { class: 'val', 'font-size': 11 }));
    });
    y += Math.max(lines.length * 14, o.bars.length * pitch) + 8;
  }
  return chart(Math.max(y - 6, 20), alt, kids, 'grouped');
}

// Horizontal bars on 0-100, one per population, with grid lines.
// rows: [{pop, label, value, text, withheld?: msg, empty?: msg}]
export function indexBars(rows, alt) {
  const rowH = 50;
  const max = W - 44;
  const h = rows.length * rowH + 18;
  const kids = [];
  for (let v = 0; v <= 100; v += 25) {
    const x = 0.5 + (v / 100) * max;
    kids.push(s('line', { x1: x, x2: x, y1: 0, y2: h - 16, stroke: '#949494', 'stroke-width': v === 0 ? 1 : 0.6, 'stroke-dasharray': v === 0 ? null : '2 3' }));
    kids.push(text(x, h - 3, String(v), { class: 'tick', 'font-size': 12, 'text-anchor': v === 0 ? 'start' : 'middle' }));
  }
  rows.forEach((r, i) => {
    const y = i * rowH;
    kids.push(text(0, y + 15, r.label, { class: 'lbl', 'font-size': 14, 'data-max': W }));
    const by = y + 21;
    const bh = 22;
    if (r.withheld || r.empty) { kids.push(...messageBox(0.5, by, max, bh, r.withheld || r.empty)); return; }
    const w = Math.max(1, (Math.min(100, Math.max(0, r.value)) / 100) * max);
    kids.push(...box(popFill(r.pop), 0.5, by, w, bh).filter(Boolean));
    kids.push(text(r2(w + 5), by + bh / 2 + 5, r.text, { class: 'val', 'font-size': 14, 'font-weight': 700 }));
  });
  return chart(h, alt, kids, 'index');
}

// Lines on 0-100 over the waves, one per series, for the trend of the indices.
// Each series has its own colour, dash and marker, and its last value written
// at its end, so neither colour alone nor the legend carries it.
// xs: wave labels; series: [{name, values: [number|null per x]}].
const LINE_STYLES = [
  { color: '#0b4f8a', dash: null, marker: 'circle' },
  { color: '#b35806', dash: '6 3', marker: 'square' },
  { color: '#1b7837', dash: '2 2', marker: 'diamond' },
  { color: '#762a83', dash: '8 3 2 3', marker: 'circle' },
];
export const lineStyle = (i) => LINE_STYLES[i % LINE_STYLES.length];

function marker(kind, x, y, color) {
  const a = { fill: '#fff', stroke: color, 'stroke-width': 2 };
  if (kind === 'square') return s('rect', { x: r2(x - 3.5), y: r2(y - 3.5), width: 7, height: 7, ...a });
  if (kind === 'diamond') return s('path', { d: `M${r2(x)} ${r2(y - 5)}l5 5l-5 5l-5 -5z`, ...a });
  return s('circle', { cx: r2(x), cy: r2(y), r: 4, ...a });
}

export function lines(xs, series, alt) {
  const left = 26;
  const right = W - 70;
  const top = 8;
  const h = 170;
  const bottom = h - 22;
  // The axis spans the values with a margin, in steps of 10: the themes move
  // by a few points a year, which a 0-100 axis would flatten into one line.
  const values = series.flatMap((se) => se.values).filter((v) => typeof v === 'number');
  const lo = values.length ? Math.max(0, Math.floor((Math.min(...values) - 5) / 10) * 10) : 0;
  const hi = values.length ? Math.min(100, Math.ceil((Math.max(...values) + 5) / 10) * 10) : 100;
  const step = hi - lo > 40 ? 25 : hi - lo > 20 ? 10 : 5;
  const y = (v) => bottom - ((v - lo) / (hi - lo)) * (bottom - top);
  const x = (i) => (xs.length === 1 ? (left + right) / 2 : left + (i / (xs.length - 1)) * (right - left));
  const kids = [];
  for (let v = lo; v <= hi; v += step) {
    kids.push(s('line', { x1: left, x2: right, y1: r2(y(v)), y2: r2(y(v)), stroke: '#949494', 'stroke-width': v === lo ? 1 : 0.6, 'stroke-dasharray': v === lo ? null : '2 3' }));
    kids.push(text(left - 4, r2(y(v) + 4), String(v), { class: 'tick', 'font-size': 11, 'text-anchor': 'end' }));
  }
  xs.forEach((label, i) => kids.push(text(r2(x(i)), h - 6, label, { class: 'tick', 'font-size': 11, 'text-anchor': 'middle' })));
  const ends = [];
  series.forEach((serie, k) => {
    const st = lineStyle(k);
    const points = serie.values.map((v, i) => (typeof v === 'number' ? [x(i), y(v)] : null));
    let d = '';
    points.forEach((p, i) => { if (p) d += `${d && points[i - 1] ? 'L' : 'M'}${r2(p[0])} ${r2(p[1])}`; });
    if (d) kids.push(s('path', { d, fill: 'none', stroke: st.color, 'stroke-width': 2.5, 'stroke-dasharray': st.dash }));
    points.forEach((p) => { if (p) kids.push(marker(st.marker, p[0], p[1], st.color)); });
    const last = points.filter(Boolean).pop();
    if (last) ends.push({ x: last[0] + 8, y: last[1] + 4, label: serie.label });
  });
  // End labels at least a line apart, in the order of their lines.
  ends.sort((a, b) => a.y - b.y);
  ends.forEach((e, i) => { if (i > 0 && e.y - ends[i - 1].y < 12) e.y = ends[i - 1].y + 12; });
  for (const e of ends) kids.push(text(r2(e.x), r2(e.y), e.label, { class: 'val', 'font-size': 11, 'font-weight': 700, 'data-max': W - e.x }));
  return chart(h, alt, kids, 'lines');
}

// A legend swatch for line series i: a short stroke with its marker.
export function lineSwatch(i) {
  const st = lineStyle(i);
  return s('svg', { class: 'swatch', viewBox: '0 0 24 16', width: 24, height: 16, 'aria-hidden': 'true', focusable: 'false' }, [
    s('path', { d: 'M1 8H23', stroke: st.color, 'stroke-width': 2.5, 'stroke-dasharray': st.dash, fill: 'none' }),
    marker(st.marker, 12, 8, st.color),
  ]);
}

// Squeezes texts marked data-max that came out wider than their room, and
// hides segment labels (data-room) wider than their segment, so that no two
// labels ever run into each other ("8 %8 %"). Measures first and writes
// after, so the page is laid out once.
export function fitTexts(root) {
  const width = (t) => {
    try { return t.getComputedTextLength(); } catch { return 0; }
  };
  const wide = [...root.querySelectorAll('svg.chart text[data-max]')].filter((t) => width(t) > Number(t.dataset.max));
  const crowded = [...root.querySelectorAll('svg.chart text[data-room]')].filter((t) => width(t) > Number(t.dataset.room));
  for (const t of wide) {
    t.setAttribute('textLength', t.dataset.max);
    t.setAttribute('lengthAdjust', 'spacingAndGlyphs');
  }
  for (const t of crowded) t.setAttribute('visibility', 'hidden');
}
