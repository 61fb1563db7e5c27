// The answers so far: totals as figures, and the response rate (answers
// counted up day by day against what the units expect) by size band and by
// county, each chart with its table. Fetched again on "Oppdater nå" and every
// 30 seconds while the part is on screen and the browser tab is in view.
import { el, t, T, busy, errorText, fmtClock, fmtDay, num, pct, table, tableToggle, focusOn, spinner } from './ui.js';
import { rates } from './logic.js';
import { rateChart, swatch } from './charts.js';

const EVERY = 30000;

export function render(box, ctx) {
  const st = (ctx.state.answers ||= { tables: new Set() });
  const refresh = T('button', 'answers.refresh', null, 'btn', { type: 'button' });
  const updated = el('p', 'hint');
  const said = el('p', 'sr-only', { role: 'status' });
  const body = el('div', null, null, [spinner()]);
  box.append(el('div', 'toolbar', null, [refresh, el('div', null, null, [T('p', 'answers.auto', null, 'hint'), updated])]), said, body);
  let last = 0;
  const load = (announce) => busy(body, async () => {
    try {
      const data = await ctx.api('/responses');
      // Focus stays where it was when the figures are drawn again.
      const focused = body.contains(document.activeElement) ? document.activeElement.id : null;
      // The wide chart's viewBox as wide as its room (up to 560), so its text keeps its size.
      const width = Math.round(Math.min(560, Math.max(300, body.clientWidth)));
      body.replaceChildren(...draw(data, st, width));
      if (focused) focusOn(document.getElementById(focused));
      last = Date.now();
      updated.textContent = t('answers.updated', { time: fmtClock(new Date()) });
      // Emptied first, so that the same words are said again at the next press.
      said.textContent = '';
      if (announce) setTimeout(() => { said.textContent = t('answers.refreshed'); }, 100);
    } catch (e) {
      if (e.status !== 401) body.replaceChildren(el('p', 'error', { role: 'alert' }, [errorText(e)]));
    }
  });
  refresh.addEventListener('click', () => load(true));
  const timer = setInterval(() => { if (document.visibilityState === 'visible') load(false); }, EVERY);
  const back = () => { if (document.visibilityState === 'visible' && Date.now() - last >= EVERY) load(false); };
  document.addEventListener('visibilitychange', back);
  ctx.onLeave(() => {
    clearInterval(timer);
    document.removeEventListener('visibilitychange', back);
  });
  load(false);
}

// A group's series: its name, cumulative answers, expected number and rates.
const series = (label, g) => ({ label, answers: g.answers, expected: g.expected, values: rates(g.answers, g.expected) });

function draw(data, st, width) {
  const total = series(t('answers.whole'), data.total);
  const answered = total.answers.at(-1) ?? 0;
  const rate = total.values.at(-1);
  const fact = (key, value) => el('div', null, null, [T('dt', key), el('dd', null, null, [value])]);
  const facts = el('dl', 'facts big', null, [
    fact('answers.total', num(answered)),
    fact('answers.expected', total.expected ? num(total.expected) : t('answers.not_given')),
    fact('answers.rate', typeof rate === 'number' ? pct(rate) : '–'),
  ]);
  if (!data.days.length || (!data.counties.length && !answered)) return [facts, T('p', 'answers.none')];
  const bands = [...data.size_bands.map((b) => series(t(`size.${b.band}`), b)), total];
  const counties = data.counties.map((c) => series(c.name, c));
  return [
    facts,
    figure('bands', t('answers.bands.h'), data.days, bands, st, width),
    el('section', 'counties', null, [
      T('h3', 'answers.counties.h'),
      T('p', 'answers.hint', null, 'hint'),
      ...(noRates(counties) ? [T('p', 'answers.no_rates', null, 'info')] : [
        el('ul', 'legend', null, [el('li', null, null, [swatch(0), t('answers.county')]), el('li', null, null, [swatch(1), total.label])]),
        el('div', 'small-multiples', null, counties.map((c) => mini(c, data.days, total))),
      ]),
      dataTable('counties', t('answers.counties.h'), data.days, [...counties, total], st),
    ]),
  ];
}

// The value of series se on day i, as the tables give it.
function cell(se, i) {
  const rate = se.values[i];
  return typeof rate === 'number'
    ? t('answers.cell', { rate: pct(rate), answers: num(se.answers[i]), expected: num(se.expected) })
    : t('answers.cell.no_expected', { answers: num(se.answers[i]) });
}

const altOf = (title, list) => t('answers.alt', {
  title,
  last: list.map((se) => t('answers.alt.item', { name: se.label, rate: typeof se.values.at(-1) === 'number' ? pct(se.values.at(-1)) : t('answers.no_rate') })).join(', '),
});

// Without an expected number anywhere there is no rate to draw: the table has the answers.
const noRates = (list) => list.every((se) => se.values.every((v) => v == null));

function figure(id, title, days, list, st, width) {
  return el('figure', 'rate', { 'aria-labelledby': `${id}-h` }, [
    el('figcaption', null, null, [el('h3', null, { id: `${id}-h` }, [title]), T('p', 'answers.hint', null, 'hint')]),
    ...(noRates(list) ? [T('p', 'answers.no_rates', null, 'info')] : [
      el('ul', 'legend', null, list.map((se, i) => el('li', null, null, [swatch(i), se.label]))),
      rateChart(days, list, altOf(title, list), { width, height: 220 }),
    ]),
    dataTable(id, title, days, list, st),
  ]);
}

// A county's own small chart, with the whole country's line to compare.
function mini(se, days, total) {
  const last = se.values.at(-1);
  return el('figure', 'rate mini', null, [
    el('figcaption', null, null, [
      el('p', 'spark-title', null, [se.label]),
      el('p', 'hint', null, [typeof last === 'number' ? cell(se, days.length - 1) : t('answers.no_rate')]),
    ]),
    rateChart(days, [se, total], altOf(se.label, [se, total]), { width: 260, height: 150 }),
  ]);
}

// The figures of a chart as a table (rows: days), shown on request.
function dataTable(id, title, days, list, st) {
  const rows = days.map((d, i) => [{ th: fmtDay(d) }, ...list.map((se) => ({ n: cell(se, i) }))]);
  const wrap = table(title, [t('answers.day'), ...list.map((se) => ({ n: se.label }))], rows);
  wrap.id = `table-${id}`;
  const toggle = tableToggle(wrap, st.tables.has(id), (open) => { if (open) st.tables.add(id); else st.tables.delete(id); });
  toggle.id = `toggle-${id}`;
  return el('div', 'table-box', null, [toggle, wrap]);
}
