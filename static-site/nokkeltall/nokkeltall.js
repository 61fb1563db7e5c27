// /nokkeltall/?survey=S: IMDi's public key figures of the participant survey,
// made by the aggregation at the close (GET /api/key-figures/{S}): the
// nation's main themes, also by group; their trend over the years; the
// counties and the size bands; every question's national figure; and a CSV
// of all of it. Every chart has its table beside it. Without ?survey= the
// wave is the one in /config.json. In bokmål, nynorsk and English.
import { el, t, has } from '/i18n.js';
import { getJSON } from '/api.js';
import { T, chrome, useLang, initialLang, onLang, setTitle, lang, pageAndSurveyStrings, start } from '/registrer/lang.js';
import { indexBars, lines, lineSwatch, swatch, popFill, fitTexts } from '/resultater/charts.js';
import { planOf, named } from '/resultater/data.js';
import { CSV_COLUMNS, csvRows, topOption } from '/nokkeltall/figures.js';
import { toCSV } from '/resultater/data.js';

const main = document.getElementById('main');
const enc = encodeURIComponent;
const S = { survey: null, kf: null, plan: planOf(null), defs: new Map(), problem: null, index: null };
// The area charts, redrawn when the chosen theme changes.
let repaint = [];

const locale = () => (lang === 'en' ? 'en-GB' : 'nb-NO');
const num = (v, digits = 0) => new Intl.NumberFormat(locale(), { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(v);
const pct = (share) => new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 0 }).format(share);
const indexName = (id) => named((S.plan.indices.find((x) => x.id === id) || {}).label, lang) || id;
const groupOf = (id) => S.plan.groups.find((x) => x.id === id) || {};
const groupName = (id) => named(groupOf(id).label, lang) || id;
const capitalised = (text) => text.charAt(0).toLocaleUpperCase(locale()) + text.slice(1);
const groupShort = (id) => capitalised(named(groupOf(id).short, lang) || groupName(id));
const bandName = (id) => (has(`kf.band.${id}`) ? t(`kf.band.${id}`) : id);
const qText = (id) => (has(`q.${id}.text`) ? t(`q.${id}.text`) : id);
const withheldText = (reason) => t(has(`kf.withheld.${reason}`) ? `kf.withheld.${reason}` : 'kf.withheld.other', { min: num(S.kf.min_respondents || 10) });
const contentLang = () => (lang === 'nn' ? 'nb' : null);

function optLabel(id, value) {
  const def = S.defs.get(id);
  if (def && def.type === 'scale' && value !== 'dont_know') {
    const k = def.scale ? `scale.${def.scale}.${value}` : null;
    return k && has(k) ? t(k) : value;
  }
  for (const k of [`q.${id}.opt.${value}`, `opt.${value}`]) if (has(k)) return t(k);
  return value;
}

function table(id, head, rows) {
  const wrap = el('div', 'table-wrap', { tabindex: '0', role: 'region', 'aria-labelledby': 'tc-' + id });
  wrap.append(el('table', 'data', null, [
    el('caption', 'sr-only', { id: 'tc-' + id }, [head.caption]),
    el('thead', null, null, [el('tr', null, null, head.cols.map((c) => el('th', null, { scope: 'col' }, [c])))]),
    el('tbody', null, null, rows),
  ]));
  return wrap;
}

const th = (text, attrs) => el('th', null, { scope: 'row', ...attrs }, [text]);
const td = (text, cls, attrs) => el('td', cls, attrs, [text]);
const valueText = (v) => (typeof v === 'number' ? num(v, 1) : '–');

function section(id, titleKey, kids, leadKey, vars) {
  return el('section', 'block', { id: 's-' + id, 'aria-labelledby': 'h-' + id }, [
    T('h2', titleKey, vars, null, { id: 'h-' + id }),
    leadKey ? T('p', leadKey, vars, 'lead-small') : null,
    ...kids,
  ]);
}

// ----- the nation's main themes, by group -----

function themes() {
  const nat = S.kf.national;
  const pops = [{ id: 'nation', name: t('kf.nation'), indices: nat.indices, n: S.kf.respondents }];
  for (const g of S.plan.groups) {
    const figures = nat.groups && nat.groups[g.id];
    pops.push({ id: g.id, name: groupShort(g.id), indices: figures ? figures.indices : null, n: figures ? figures.respondents : null });
  }
  const ids = Object.keys(nat.indices || {});
  const figures = ids.map((ix) => {
    const alt = [];
    const rows = pops.map((p, i) => {
      const v = p.indices ? p.indices[ix] : undefined;
      if (!p.indices) { alt.push(`${p.name}: ${withheldText('protects_others')}`); return { pop: i, label: p.name, withheld: withheldText('protects_others') }; }
      if (typeof v !== 'number') { alt.push(`${p.name}: ${t('kf.no_value')}`); return { pop: i, label: p.name, empty: t('kf.no_value') }; }
      alt.push(`${p.name} ${num(v, 1)}`);
      return { pop: i, label: p.n != null ? t('kf.row', { pop: p.name, n: num(p.n) }) : p.name, value: v, text: num(v, 1) };
    });
    const body = pops.map((p) => {
      const v = p.indices ? p.indices[ix] : undefined;
      return el('tr', null, null, p.indices
        ? [th(p.name), td(valueText(v)), td(p.n != null ? num(p.n) : '–')]
        : [th(p.name), td(withheldText('protects_others'), 'withheld', { colspan: 2 })]);
    });
    const id = 'ix-' + ix;
    return el('figure', 'ix', { id }, [
      el('figcaption', null, null, [el('h3', null, { id: 'h-' + id }, [indexName(ix)])]),
      indexBars(rows, `${t('kf.alt.bars', { what: indexName(ix) })} ${alt.join('; ')}. ${t('kf.alt.table')}`),
      table(id, { caption: indexName(ix), cols: [t('kf.table.population'), t('kf.table.value'), t('kf.table.respondents')] }, body),
    ]);
  });
  const legend = el('ul', 'legend', null, pops.map((p, i) => el('li', null, null, [swatch(popFill(i)), el('span', null, null, [p.name])])));
  return section('themes', 'kf.themes.title', [legend, el('div', 'ix-grid', null, figures)], 'kf.themes.lead');
}

// ----- the trend over the waves -----

function trend() {
  const points = S.kf.trend || [];
  const ids = Object.keys(S.kf.national.indices || {});
  const series = ids.map((ix) => ({ label: indexName(ix), values: points.map((p) => p.indices[ix]) }));
  const alt = series.map((se) => `${se.label}: ${se.values.map((v, i) => `${points[i].survey_id} ${valueText(v)}`).join(', ')}`);
  const kids = [];
  if (points.length < 2) kids.push(T('p', 'kf.trend.one', null, 'note'));
  kids.push(
    el('ul', 'legend', null, series.map((se, i) => el('li', null, null, [lineSwatch(i), el('span', null, null, [se.label])]))),
    lines(points.map((p) => p.survey_id), series, `${t('kf.alt.trend')} ${alt.join('; ')}. ${t('kf.alt.table')}`),
    table('trend', { caption: t('kf.trend.title'), cols: [t('kf.table.wave'), ...ids.map(indexName)] },
      points.map((p) => el('tr', null, null, [th(p.survey_id), ...ids.map((ix) => td(valueText(p.indices[ix])))]))),
  );
  return section('trend', 'kf.trend.title', [el('figure', 'trend', { id: 'trend' }, kids)], 'kf.trend.lead');
}

// ----- counties and size bands: one theme's chart, every theme's table -----

function areas(id, list, nameOf) {
  const ids = Object.keys(S.kf.national.indices || {});
  const chartBox = el('div', 'area-chart');
  const paintChart = () => {
    const ix = S.index || ids[0];
    const alt = [];
    const rows = list.map((a) => {
      const name = nameOf(a);
      if (a.withheld) { alt.push(`${name}: ${withheldText(a.reason)}`); return { pop: 0, label: name, withheld: withheldText(a.reason) }; }
      const v = a.indices[ix];
      if (typeof v !== 'number') { alt.push(`${name}: ${t('kf.no_value')}`); return { pop: 0, label: name, empty: t('kf.no_value') }; }
      alt.push(`${name} ${num(v, 1)}`);
      return { pop: 0, label: t('kf.row', { pop: name, n: num(a.respondents) }), value: v, text: num(v, 1) };
    });
    chartBox.replaceChildren(indexBars(rows, `${t('kf.alt.bars', { what: indexName(ix) })} ${alt.join('; ')}. ${t('kf.alt.table')}`));
    fitTexts(chartBox);
  };
  const select = el('select', null, { id: `${id}-index`, name: 'index' }, ids.map((ix) => el('option', null, { value: ix }, [indexName(ix)])));
  select.value = S.index || ids[0];
  select.addEventListener('change', () => {
    S.index = select.value;
    for (const other of main.querySelectorAll('select[name=index]')) other.value = S.index;
    for (const f of repaint) f();
  });
  repaint.push(paintChart);
  const body = list.map((a) => el('tr', null, null, a.withheld
    ? [th(nameOf(a)), td(withheldText(a.reason), 'withheld', { colspan: ids.length + 1 })]
    : [th(nameOf(a)), td(num(a.respondents)), ...ids.map((ix) => td(valueText(a.indices[ix])))]));
  const picker = el('p', 'pick', null, [T('label', 'kf.area.index', null, null, { for: select.id }), ' ', select]);
  const tbl = table(id, { caption: t(`kf.${id}.title`), cols: [t('kf.table.area'), t('kf.table.respondents'), ...ids.map(indexName)] }, body);
  paintChart();
  return section(id, `kf.${id}.title`, [picker, el('div', 'area', null, [chartBox, tbl])], `kf.${id}.lead`);
}

// ----- every question, nationally -----

function questions() {
  const groups = S.plan.groups.map((g) => g.id);
  const result = (fig, id) => {
    if (!fig || fig.withheld) return null;
    if (typeof fig.mean === 'number') return t('kf.mean', { mean: num(fig.mean, 1) });
    const top = topOption(fig);
    return top ? t('kf.top', { option: optLabel(id, top.value), pct: pct(top.share) }) : '–';
  };
  const cell = (fig, id) => {
    const text = result(fig, id);
    return text == null ? td(withheldText(fig ? fig.reason : 'protects_others'), 'withheld') : td(text, 'result');
  };
  const rows = (S.kf.national.questions || []).map((q) => {
    const name = el('th', null, { scope: 'row', lang: contentLang() }, [qText(q.id)]);
    if (q.withheld) return el('tr', null, null, [name, td(withheldText(q.reason), 'withheld', { colspan: 2 + groups.length })]);
    return el('tr', null, null, [name, td(num(q.n || 0)), cell(q, q.id), ...groups.map((g) => cell((q.groups || {})[g], q.id))]);
  });
  const cols = [t('kf.table.question'), t('kf.table.n'), t('kf.nation'), ...groups.map(groupShort)];
  return section('questions', 'kf.questions.title', [table('questions', { caption: t('kf.questions.title'), cols }, rows)], 'kf.questions.lead');
}

// ----- the download -----

function download() {
  const button = el('button', 'btn', { type: 'button', id: 'csv' }, [T('span', 'kf.dl.csv')]);
  button.addEventListener('click', () => {
    const L = {
      part: (k) => t(`kf.${k}.title`), nation: () => t('kf.nation'), group: groupName, index: indexName, band: bandName,
      question: qText, option: optLabel, withheld: withheldText, mean: () => t('kf.csv.mean'), none: () => t('kf.no_value'),
    };
    const header = ['part', 'population', 'measure', 'value', 'n', 'note'].map((c) => t(`kf.csv.${c}`));
    const text = toCSV(header, csvRows(S.kf, L), { columns: CSV_COLUMNS, ...(lang === 'en' ? {} : { sep: ';', decimal: ',' }) });
    const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
    const a = el('a', null, { href: url, download: `${t('kf.file')}-${S.survey}.csv` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  });
  return section('download', 'kf.dl.title', [T('p', 'kf.dl.hint'), button, T('p', 'kf.about', { min: num(S.kf.min_respondents || 10) }, 'note')]);
}

// ----- the page -----

function facts() {
  const item = (key, value) => [el('div', null, null, [T('dt', key), el('dd', null, null, [value])])];
  const last = (S.kf.trend || []).find((p) => p.survey_id === S.kf.survey_id);
  return el('dl', 'facts', null, [
    ...item('kf.fact.respondents', num(S.kf.respondents)),
    ...item('kf.fact.units', num(S.kf.units_with_results)),
    ...(last ? item('kf.fact.closed', new Intl.DateTimeFormat(locale(), { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(last.closed_on))) : []),
  ]);
}

function paint() {
  repaint = [];
  const kids = [T('h1', 'kf.title')];
  if (S.problem) {
    kids.push(T('p', S.problem, { survey: S.survey }, 'warn', { id: 'problem' }));
  } else {
    const kf = S.kf;
    kids.push(
      T('p', 'kf.lead', { survey: kf.survey_id }, 'lead'),
      facts(),
      themes(),
      trend(),
      areas('counties', kf.counties || [], (a) => a.name),
      areas('bands', kf.size_bands || [], (a) => bandName(a.number)),
      questions(),
      download(),
    );
  }
  main.replaceChildren(...kids);
  main.querySelector('h1').tabIndex = -1;
  setTitle('kf.title');
  fitTexts(main);
}

const loadStrings = pageAndSurveyStrings('/nokkeltall/i18n', () => S.survey);

async function boot() {
  S.survey = new URLSearchParams(location.search).get('survey') || (await getJSON('/config.json')).survey_id;
  chrome(loadStrings);
  const [kf, qn] = await Promise.all([
    getJSON(`/api/key-figures/${enc(S.survey)}`).catch((e) => ({ error: e })),
    getJSON(`/api/surveys/${enc(S.survey)}/questionnaire`).catch(() => null),
  ]);
  await useLang(initialLang());
  if (kf.error) {
    const code = kf.error.code;
    if (code !== 'no_report' && code !== 'unknown_survey') throw kf.error;
    S.problem = code === 'no_report' ? 'kf.none' : 'kf.unknown';
  } else {
    S.kf = kf;
  }
  S.plan = planOf(qn);
  S.defs = new Map(((qn && qn.questions) || []).map((q) => [q.id, q]));
  paint();
  onLang(paint);
}

start(boot);
