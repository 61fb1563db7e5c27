// /resultater/: a unit's results, opened from the results e-mail
// (?survey=S&unit=U&token=T). The token goes to the API as a Bearer header and
// is then kept in sessionStorage and taken out of the address bar, so it ends
// up neither in printouts nor in shared screenshots of the address.
//
// The page: header facts, the three indices first, then a contents list and
// one chart (SVG, with a table to show) per question in its section, two or
// three to a row on wide screens; a filter by participant group, downloads
// (CSV and XLSX), a print layout of a few A4 pages, and a live count while the
// survey is open. Screening questions (an option ends the survey) are never
// charted. Without a link the page starts with the form that asks for one,
// finding the municipality or district by name or number as registration
// does; errors 401/403 show the same form, and 404/410 their own messages.
import { el, t, has } from '/i18n.js';
import { ApiError, getJSON, getWithToken, postJSON } from '/api.js';
import { T, chrome, useLang, initialLang, onLang, focusOn, lang, pageAndSurveyStrings, start } from '/registrer/lang.js';
import {
  POPULATIONS, fillOf, planOf, groupsOf, named, scaleMax, figuresFor, hasGroups, optionValues, shares, isWithheld, isScreening, runDate, sections,
  exportRows, indexRows, toCSV,
} from './data.js';
import { swatch, stacked, grouped, indexBars, lines, fitTexts, scaleFill, popFill } from './charts.js';
import { xlsx, STYLE } from './xlsx.js';
import { loadUnits, resolveUnit, unitPicker } from './unitpicker.js';

const main = document.getElementById('main');
const enc = encodeURIComponent;
// A unit's number: a municipality's (4 digits), an Oslo district's (6), or one of a survey's own units.
const UNIT_RE = /^\d{2,8}$/;
const SURVEY_RE = /^[A-Za-z0-9_-]{1,64}$/;
const KNOWN_ERRORS = ['invalid_token', 'wrong_unit', 'no_report', 'results_expired'];
const BY_STATUS = { 401: 'invalid_token', 403: 'wrong_unit', 404: 'no_report', 410: 'results_expired' };

const S = {
  survey: null,
  unit: null,
  token: null,
  report: null,
  defs: new Map(), // question id -> questionnaire entry (scale, section, options)
  plan: planOf(null), // the survey's published groups and indices, with their names
  count: null, // live count while the survey is open
  info: null, // the wave (for results_until), when asked for
  group: 'all',
  open: new Set(), // ids whose table is shown
  view: null, // re-renders the current view (after a language change)
  // The form for a link: what is typed, the unit chosen, and `offer(units)`,
  // which opens the list of units a typed name could mean.
  access: { text: '', chosen: null, email: '', done: false, errors: {}, busy: false, offer: null },
  units: [], // the unit list prepared for search (empty when it could not be loaded)
};

// ---------- texts and numbers ----------

// Browsers have no nynorsk number or date formats (Intl falls back to en-US);
// bokmål's are the same as nynorsk's for numbers and dates.
const locale = () => (lang === 'en' ? 'en-GB' : 'nb');
const nf = (opts) => new Intl.NumberFormat(locale(), opts);
const num = (v, d = 0) => nf({ minimumFractionDigits: d, maximumFractionDigits: d }).format(v);
const pct = (share, d = 0) => nf({ style: 'percent', minimumFractionDigits: d, maximumFractionDigits: d }).format(share);
function fmtDate(date) {
  try {
    return new Intl.DateTimeFormat(locale(), { dateStyle: 'long', timeZone: 'Europe/Oslo' }).format(date);
  } catch {
    return date.toISOString().slice(0, 10);
  }
}

// The last day of something that ends at `iso`: an end at midnight in Oslo
// means up to and including the day before.
function fmtUntil(iso) {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return '';
  const hm = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Oslo', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(ms);
  return fmtDate(new Date(hm === '00:00' ? ms - 1 : ms));
}

// Question texts exist in nb and en only: nynorsk shows bokmål, marked as such.
const contentLang = () => (lang === 'nn' ? 'nb' : null);
const popName = (p) => {
  if (p === 'unit') return S.report.unit.name;
  if (p === 'county') return S.report.unit.county || t('res.pop.county');
  const area = (S.report.comparisons || {})[p];
  if (p === 'size_band') return area && has(`res.pop.size_band.${area.number}`) ? t(`res.pop.size_band.${area.number}`) : t('res.pop.size_band');
  if (p === 'kostra_group') return area ? t('res.pop.kostra_group.n', { n: Number(String(area.number).replace(/\D/g, '')) }) : t('res.pop.kostra_group');
  if (p === 'previous') return t('res.pop.previous', { unit: S.report.unit.name, survey: (S.report.comparisons || {}).previous || '' });
  return t('res.pop.national');
};
const qText = (q) => (has(`q.${q.id}.text`) ? t(`q.${q.id}.text`) : q.id);
const capitalised = (s) => s.charAt(0).toLocaleUpperCase(locale()) + s.slice(1);
const planName = (list, id, which = 'label') => named((list.find((x) => x.id === id) || {})[which], lang);
const indexName = (id) => planName(S.plan.indices, id) || (has(`section.${id}`) ? t(`section.${id}`) : id);
const sectionName = (id) => (id && has(`section.${id}`) ? t(`section.${id}`) : id ? id : t('res.section.other'));
// A text about scale means: `key` with the scales' highest value, or its `_any` form when scales differ.
const scaleText = (key) => {
  const max = scaleMax(S.defs);
  return max ? t(key, { max }) : t(`${key}_any`);
};
const groupName = (g) => (g === 'all' ? t('res.filter.all') : planName(S.plan.groups, g) || g);
const withheldText = (reason) => t(has(`res.withheld.${reason}`) ? `res.withheld.${reason}` : 'res.withheld.other');

function optLabel(q, v) {
  const def = S.defs.get(q.id);
  if (q.type === 'scale' && v !== 'dont_know') {
    const k = def && def.scale ? `scale.${def.scale}.${v}` : null;
    return k && has(k) ? t('res.scale_opt', { label: t(k), value: v }) : v;
  }
  for (const k of [`q.${q.id}.opt.${v}`, `opt.${v}`]) if (has(k)) return t(k);
  return v === 'dont_know' ? t('res.dont_know') : v;
}

// ---------- loading ----------

const loadStrings = pageAndSurveyStrings('/resultater/i18n', () => S.survey);

// GET with the unit's results token.
const authGet = (path) => getWithToken(path, S.token);

function errorKind(e) {
  if (KNOWN_ERRORS.includes(e.code)) return e.code;
  return BY_STATUS[e.status] || (e.code === 'network' ? 'network' : 'server');
}

const tokenKey = () => `resultater-token:${S.survey}:${S.unit}`;

function readParams() {
  const params = new URLSearchParams(location.search);
  const survey = params.get('survey');
  const unit = (params.get('unit') || '').trim();
  S.survey = survey && SURVEY_RE.test(survey) ? survey : null;
  S.unit = unit || null;
  S.access.text = UNIT_RE.test(unit) ? unit : '';
  // Checked against the survey's groups once its plan is loaded.
  S.group = params.get('group') || 'all';
  const token = params.get('token');
  if (token) {
    S.token = token;
    try {
      sessionStorage.setItem(tokenKey(), token);
      params.delete('token');
      const q = params.toString();
      history.replaceState(history.state, '', location.pathname + (q ? '?' + q : '') + location.hash);
    } catch { /* no storage: the token stays in the address */ }
  } else {
    try { S.token = sessionStorage.getItem(tokenKey()); } catch { S.token = null; }
  }
}

function forgetToken() {
  S.token = null;
  try { sessionStorage.removeItem(tokenKey()); } catch { /* nothing kept */ }
}

function showLoading() {
  main.replaceChildren(el('div', 'spinner', { 'aria-hidden': 'true' }), T('p', 'loading', null, 'sr-only', { role: 'status' }));
}

async function load(retrying) {
  S.view = null;
  showLoading();
  if (!S.survey) {
    try {
      const cfg = await getJSON('/config.json');
      if (SURVEY_RE.test(cfg.survey_id || '')) S.survey = cfg.survey_id;
      await useLang(lang); // question texts of that survey
    } catch { /* asked for below */ }
  }
  if (!S.survey || !S.unit || !UNIT_RE.test(S.unit) || !S.token) return showProblem('start');
  const base = `/api/results/${enc(S.survey)}/${enc(S.unit)}`;
  const count = authGet(`${base}/count`)
    .then((d) => (d && d.status === 'open' && Number.isInteger(d.respondents) && d.respondents >= 0 ? d.respondents : null))
    .catch(() => null);
  const questionnaire = getJSON(`/api/surveys/${enc(S.survey)}/questionnaire`).catch(() => null);
  const keyFigures = getJSON(`/api/key-figures/${enc(S.survey)}`).catch(() => null);
  let report;
  try {
    report = await authGet(base);
    if (!report || !report.unit || !Array.isArray(report.questions)) throw new ApiError('bad_response', 200);
  } catch (e) {
    const kind = errorKind(e);
    if (kind === 'invalid_token') forgetToken();
    if (kind === 'no_report') S.count = await count;
    if (kind === 'results_expired') S.info = await getJSON(`/api/surveys/${enc(S.survey)}`).catch(() => null);
    return showProblem(kind, retrying);
  }
  const [qn, figures] = await Promise.all([questionnaire, keyFigures]);
  S.trend = figures && Array.isArray(figures.trend) ? figures.trend : [];
  S.defs = new Map(((qn && qn.questions) || []).map((q) => [q.id, q]));
  S.plan = planOf(qn);
  S.report = { ...report, questions: report.questions.filter((q) => !isScreening(S.defs.get(q.id))) };
  if (!hasGroups(report, S.plan) || !groupsOf(S.plan).includes(S.group)) S.group = 'all';
  showReport();
  count.then((n) => { S.count = n; paintCount(); });
}

// ---------- problems and the form for a new link ----------

// The survey's name as a title, «Brukerundersøkelsen», once its plan is known;
// the site's name before.
const surveyTitle = () => (S.plan.name ? capitalised(named(S.plan.name, lang)) : t('app_title'));

function render(kids, title) {
  main.replaceChildren(...kids);
  document.title = `${title} – ${surveyTitle()}`;
  const brand = document.querySelector('header .brand');
  if (brand && S.plan.name) {
    brand.removeAttribute('data-key');
    brand.textContent = surveyTitle();
  }
}

const FORM_KINDS = ['start', 'invalid_token', 'wrong_unit'];

// The unit list for the form, once; a unit number from the link becomes its unit.
async function prepareForm() {
  S.units = await loadUnits(S.survey);
  const a = S.access;
  if (!a.chosen && a.text) {
    const found = resolveUnit(S.units, a.text);
    if (found.unit) { a.chosen = found.unit; a.text = found.unit.name; }
  }
}

async function showProblem(kind, focus) {
  if (FORM_KINDS.includes(kind)) await prepareForm();
  S.view = () => showProblem(kind, false);
  const unit = S.unit || '';
  const kids = [];
  let titleKey = `err.${kind}.title`;
  switch (kind) {
    case 'start':
      titleKey = 'start.title';
      kids.push(T('h1', titleKey, null, null, { id: 'page-title' }), accessForm(S.units, true));
      break;
    case 'invalid_token':
      kids.push(T('h1', titleKey), T('p', `err.${kind}.text`), accessForm(S.units, false));
      break;
    case 'wrong_unit':
      kids.push(T('h1', titleKey), T('p', 'err.wrong_unit.text', { unit }), accessForm(S.units, false));
      break;
    case 'no_report':
      kids.push(T('h1', titleKey), T('p', 'err.no_report.text'));
      if (S.count != null) kids.push(T('p', 'res.live', { n: num(S.count) }, 'live'));
      break;
    case 'results_expired': {
      const until = S.info && S.info.results_until && fmtUntil(S.info.results_until);
      kids.push(T('h1', titleKey), until ? T('p', 'err.results_expired.text', { date: until }) : T('p', 'err.results_expired.text_nodate'),
        T('p', 'err.results_expired.contact'));
      break;
    }
    default: {
      titleKey = 'err.load.title';
      const retry = el('button', 'btn primary', { type: 'button' }, [T('span', 'retry')]);
      retry.addEventListener('click', () => load(true));
      kids.push(T('h1', titleKey), T('p', kind === 'network' ? 'err.load.network' : 'err.load.server'), el('div', 'nav', null, [retry]));
    }
  }
  render(kids, t(titleKey));
  const h = main.querySelector('h1');
  h.tabIndex = -1;
  if (focus) focusOn(h);
}

function errorLine(id, errKey) {
  const err = el('p', 'error', { id: id + '-err' });
  if (errKey) err.replaceChildren(T('span', 'acc.err.prefix', null, 'sr-only'), ' ', T('span', errKey));
  return err;
}

function field(id, labelKey, hintKey, input, errKey) {
  const hint = hintKey ? T('p', hintKey, null, 'hint', { id: id + '-hint' }) : null;
  input.id = id;
  const described = [hint ? id + '-hint' : null, errKey ? id + '-err' : null].filter(Boolean).join(' ');
  if (described) input.setAttribute('aria-describedby', described);
  if (errKey) input.setAttribute('aria-invalid', 'true');
  return el('div', 'field', null, [el('label', 'label', { for: id, id: id + '-label' }, [T('span', labelKey)]), hint, errorLine(id, errKey), input]);
}

// The form that asks for a results link: the unit by name or number (the
// registration page's search), and the contact's address. On the start page
// (no token) the page's h1 names it; under an error it has its own h2.
function accessForm(index, start) {
  const a = S.access;
  const titleId = start ? 'page-title' : 'acc-title';
  const box = el('section', 'access' + (start ? ' start' : ''), { 'aria-labelledby': titleId });
  const status = el('div', 'acc-status', { role: 'status' });
  const heading = () => (start ? [] : [T('h2', 'acc.title', null, null, { id: 'acc-title' })]);
  const paint = (focusDone) => {
    if (a.done) {
      const msg = el('div', 'confirm', { tabindex: '-1', id: 'acc-done' }, [T('p', 'acc.done', { unit: a.chosen.name })]);
      box.replaceChildren(...heading(), status);
      status.replaceChildren(msg, T('p', 'acc.spam', null, 'hint'));
      if (focusDone) focusOn(msg);
      return;
    }
    status.replaceChildren();
    const picker = unitPicker(a, index, {
      id: 'acc-unit',
      describedBy: () => ['acc-unit-hint', a.errors.unit ? 'acc-unit-err' : null],
    });
    const unitIn = picker.input;
    if (a.errors.unit) unitIn.setAttribute('aria-invalid', 'true');
    const unitField = el('div', 'field combo', null, [
      el('label', 'label', { for: 'acc-unit', id: 'acc-unit-label' }, [T('span', 'acc.unit.label')]),
      T('p', 'acc.unit.hint', null, 'hint', { id: 'acc-unit-hint' }),
      errorLine('acc-unit', a.errors.unit),
      unitIn, ...picker.extra,
    ]);
    picker.describe();
    const emailIn = el('input', 'input plain', {
      type: 'email', autocomplete: 'email', name: 'email', value: a.email, spellcheck: 'false', autocapitalize: 'off', maxlength: '254',
    });
    emailIn.addEventListener('input', () => { a.email = emailIn.value; });
    const submit = el('button', 'btn primary', { type: 'submit' }, [T('span', start ? 'start.submit' : 'acc.submit')]);
    const formErr = a.errors.form ? T('p', a.errors.form, null, 'error', { id: 'acc-form-err' }) : null;
    const form = el('form', 'stack', { novalidate: true, 'aria-labelledby': titleId }, [
      unitField,
      field('acc-email', 'acc.email.label', null, emailIn, a.errors.email),
      formErr,
      el('div', 'nav', null, [submit]),
    ]);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      if (a.busy) return;
      a.email = emailIn.value.trim();
      a.errors = {};
      const found = a.chosen ? { unit: a.chosen } : resolveUnit(index, unitIn.value);
      if (found.unit) a.chosen = found.unit;
      else a.errors.unit = found.error || 'acc.err.unit_choose';
      if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(a.email) || a.email.length > 254) a.errors.email = 'acc.err.email';
      if (a.errors.unit || a.errors.email) {
        paint();
        const first = box.querySelector('[aria-invalid="true"]');
        focusOn(first);
        if (found.choices) a.offer(found.choices);
        return;
      }
      a.busy = true;
      form.setAttribute('aria-busy', 'true');
      status.replaceChildren(T('p', 'acc.sending'));
      let ok = false;
      try {
        await postJSON('/api/results/access', { survey_id: S.survey || '', unit: a.chosen.number, email: a.email });
        ok = true;
      } catch (e) {
        ok = e.status >= 200 && e.status < 300; // 202 with an empty body
        if (!ok) a.errors.form = e.code === 'network' ? 'acc.err.network' : e.status === 400 ? 'acc.err.invalid' : 'acc.err.server';
      } finally {
        a.busy = false;
      }
      a.done = ok;
      paint(ok);
      if (!ok) focusOn(box.querySelector('#acc-form-err'));
    });
    a.offer = picker.offer;
    box.replaceChildren(...heading(), T('p', start ? 'start.lead' : 'acc.lead'), form, status);
  };
  paint();
  return box;
}

// ---------- the report ----------

function facts(r) {
  const item = (key, value) => el('div', null, null, [T('dt', key), el('dd', null, null, [value])]);
  const list = el('dl', 'facts');
  if (r.unit.county) list.append(item('res.fact.county', r.unit.county));
  const number = String(r.unit.number || S.unit);
  const numberKey = S.plan.own_units ? 'res.fact.unit_no_own' : number.length === 6 ? 'res.fact.district_no' : 'res.fact.unit_no';
  list.append(item(numberKey, number));
  const like = r.comparisons || {};
  if (like.size_band) list.append(item('res.fact.size_band', popName('size_band')));
  if (like.kostra_group) list.append(item('res.fact.kostra_group', popName('kostra_group')));
  const n = num(r.respondents || 0);
  let answers = n;
  if (r.expected_participants) {
    const rate = typeof r.response_rate === 'number' ? r.response_rate : (100 * (r.respondents || 0)) / r.expected_participants;
    answers = t('res.respondents_of', { n, expected: num(r.expected_participants), rate: pct(rate / 100, Number.isInteger(rate) ? 0 : 1) });
  }
  list.append(item('res.fact.respondents', answers));
  const d = runDate(r.run_id);
  if (d) list.append(item('res.fact.date', fmtDate(d)));
  return list;
}

function paintCount() {
  const p = document.getElementById('live');
  if (!p) return;
  if (S.count == null) { p.hidden = true; return; }
  p.hidden = false;
  p.replaceChildren(T('strong', 'res.live', { n: num(S.count) }), ' ', T('span', 'res.live_hint'));
}

function tools(r) {
  const box = el('div', 'tools');
  if (hasGroups(r, S.plan)) {
    const hint = named(S.plan.groups_hint, lang);
    const fs = el('fieldset', 'filter', hint ? { 'aria-describedby': 'filter-hint' } : null, [
      el('legend', null, null, [T('span', 'res.filter.legend')]),
      hint ? el('p', 'hint', { id: 'filter-hint' }, [hint]) : null,
    ]);
    const opts = el('div', 'filter-opts');
    for (const g of groupsOf(S.plan)) {
      const input = el('input', null, { type: 'radio', name: 'group', value: g, checked: S.group === g });
      input.addEventListener('change', () => {
        if (!input.checked) return;
        S.group = g;
        const u = new URL(location.href);
        if (g === 'all') u.searchParams.delete('group'); else u.searchParams.set('group', g);
        history.replaceState(history.state, '', u.pathname + u.search + u.hash);
        paintQuestions();
        const say = document.getElementById('announce');
        say.textContent = t('res.filter.shown', { group: groupName(g) });
      });
      opts.append(el('label', 'opt', null, [input, el('span', null, null, [groupName(g)])]));
    }
    fs.append(opts);
    box.append(fs);
  }
  const csv = el('button', 'btn', { type: 'button', id: 'dl-csv' }, [T('span', 'res.dl.csv')]);
  const xl = el('button', 'btn', { type: 'button', id: 'dl-xlsx' }, [T('span', 'res.dl.xlsx')]);
  const print = el('button', 'btn', { type: 'button', id: 'print' }, [T('span', 'res.print')]);
  csv.addEventListener('click', downloadCSV);
  xl.addEventListener('click', downloadXLSX);
  print.addEventListener('click', () => window.print());
  box.append(el('div', 'downloads', { role: 'group', 'aria-labelledby': 'dl-title' }, [
    T('h2', 'res.dl.title', null, 'tools-title', { id: 'dl-title' }),
    el('p', 'hint', { id: 'dl-hint' }),
    el('div', 'actions', null, [csv, xl, print]),
  ]));
  return box;
}

function paintDlHint() {
  const p = document.getElementById('dl-hint');
  if (p) p.textContent = t('res.dl.hint', { group: groupName(S.group).toLowerCase() });
}

// A button that shows or hides a figure's table (kept for screen readers while hidden).
function tableToggle(id, table, describedBy) {
  const wrapId = 'tw-' + id;
  const wrap = el('div', 'table-wrap', { id: wrapId, role: 'region', 'aria-labelledby': 'tc-' + id }, [table]);
  const btn = el('button', 'btn link toggle', { type: 'button', 'aria-controls': wrapId, 'aria-describedby': describedBy });
  const set = (open) => {
    wrap.classList.toggle('sr-only', !open);
    if (open) wrap.tabIndex = 0; else wrap.removeAttribute('tabindex');
    btn.setAttribute('aria-expanded', String(open));
    btn.textContent = t(open ? 'res.table.hide' : 'res.table.show');
  };
  btn.addEventListener('click', () => {
    const open = !S.open.has(id);
    if (open) S.open.add(id); else S.open.delete(id);
    set(open);
  });
  set(S.open.has(id));
  return [btn, wrap];
}

function caption(id, textContent) {
  return el('caption', 'sr-only', { id: 'tc-' + id, lang: contentLang() }, [textContent]);
}

function popLegend(items) {
  return el('ul', 'legend', null, items.map((it) => el('li', it.cls, null, [swatch(it.fill), el('span', null, null, [it.text])])));
}

// ----- indices -----

function indexFigure(ix) {
  const pops = POPULATIONS.filter((p) => p in ix);
  const rows = [];
  const alt = [];
  const table = el('table', 'data');
  const body = el('tbody');
  pops.forEach((p) => {
    const fig = ix[p];
    const i = fillOf(p);
    const name = popName(p);
    if (isWithheld(fig)) {
      const msg = withheldText(fig.reason);
      rows.push({ pop: i, label: name, withheld: msg });
      alt.push(`${name}: ${msg}`);
      body.append(el('tr', null, null, [el('th', null, { scope: 'row' }, [name]), el('td', 'withheld', { colspan: 2 }, [msg])]));
    } else if (typeof fig.value !== 'number') {
      rows.push({ pop: i, label: t('res.row', { pop: name, n: num(fig.n || 0) }), empty: t('res.no_answers') });
      alt.push(`${name}: ${t('res.no_answers')}`);
      body.append(el('tr', null, null, [el('th', null, { scope: 'row' }, [name]), el('td', null, null, ['–']), el('td', null, null, [num(fig.n || 0)])]));
    } else {
      const v = num(fig.value, 1);
      rows.push({ pop: i, label: t('res.row', { pop: name, n: num(fig.n) }), value: fig.value, text: v });
      alt.push(t('res.alt.index_item', { pop: name, value: v, n: num(fig.n) }));
      body.append(el('tr', null, null, [el('th', null, { scope: 'row' }, [name]), el('td', null, null, [v]), el('td', null, null, [num(fig.n)])]));
    }
  });
  const id = 'ix-' + ix.id;
  const name = indexName(ix.id);
  table.append(
    el('caption', 'sr-only', { id: 'tc-' + id }, [name]),
    el('thead', null, null, [el('tr', null, null, [
      T('th', 'res.table.group', null, null, { scope: 'col' }), T('th', 'res.table.value', null, null, { scope: 'col' }),
      T('th', 'res.table.n', null, null, { scope: 'col' }),
    ])]),
    body,
  );
  const svg = indexBars(rows, `${t('res.alt.index')} ${alt.join('; ')}.`);
  return el('figure', 'ix', { id }, [
    el('figcaption', null, null, [el('h3', null, { id: 'h-' + id }, [name])]),
    svg,
    ...tableToggle(id, table, 'h-' + id),
    nationalTrend(ix.id, name),
  ]);
}

// A small line of the index for the whole country over every wave IMDi keeps
// (the public key figures' trend), when there is more than one.
function nationalTrend(id, name) {
  const waves = (S.trend || []).filter((p) => p && p.indices && typeof p.indices[id] === 'number');
  if (waves.length < 2) return null;
  const values = waves.map((p) => p.indices[id]);
  const alt = `${t('res.alt.trend', { index: name })} ${waves.map((p) => `${p.survey_id} ${num(p.indices[id], 1)}`).join(', ')}.`;
  return el('div', 'spark', { id: `trend-${id}` }, [
    T('p', 'res.trend.title', null, 'spark-title'),
    lines(waves.map((p) => p.survey_id), [{ label: t('res.pop.national'), values }], alt),
  ]);
}

function themes(r) {
  const list = (r.indices || []).filter((ix) => ix && ix.id);
  if (!list.length) return null;
  const pops = POPULATIONS.filter((p) => list.some((ix) => p in ix));
  return el('section', 'block themes', { id: 's-themes', 'aria-labelledby': 'h-themes' }, [
    T('h2', 'res.themes.title', null, null, { id: 'h-themes' }),
    T('p', 'res.themes.lead'),
    T('p', 'res.themes.all', null, 'note', { id: 'themes-note', hidden: S.group === 'all' }),
    popLegend(pops.map((p) => ({ fill: popFill(fillOf(p)), text: popName(p) }))),
    el('div', 'ix-grid', null, list.map(indexFigure)),
  ]);
}

// ----- questions -----

function questionTable(q, figs, pops, values) {
  const scale = q.type === 'scale';
  const head = el('tr', null, null, [T('th', 'res.table.answer', null, null, { scope: 'col' }), ...pops.map((p) => el('th', null, { scope: 'col' }, [popName(p)]))]);
  const rowsN = values.length + 1 + (scale ? 1 : 0);
  const body = [];
  const lines = [
    ...values.map((v) => ({ label: optLabel(q, v), content: true, cell: (fig, sh) => (sh[values.indexOf(v)].share == null ? '–' : t('res.table.cell', { pct: pct(sh[values.indexOf(v)].share), count: num(sh[values.indexOf(v)].count) })) })),
    { label: t('res.table.n'), cell: (fig) => num(fig.n || 0), cls: 'n' },
    ...(scale ? [{ label: scaleText('res.table.mean'), cell: (fig) => (typeof fig.mean === 'number' ? num(fig.mean, 2) : '–'), cls: 'mean' }] : []),
  ];
  const sh = Object.fromEntries(pops.map((p) => [p, isWithheld(figs[p]) ? null : shares(figs[p], values)]));
  lines.forEach((line, li) => {
    const tr = el('tr', line.cls, null, [el('th', null, { scope: 'row', lang: line.content ? contentLang() : null }, [line.label])]);
    for (const p of pops) {
      const fig = figs[p];
      if (isWithheld(fig)) {
        if (li === 0) tr.append(el('td', 'withheld', { rowspan: rowsN }, [withheldText(fig.reason)]));
        continue;
      }
      tr.append(el('td', null, null, [line.cell(fig, sh[p])]));
    }
    body.push(tr);
  });
  return el('table', 'data', null, [caption(q.id, qText(q)), el('thead', null, null, [head]), el('tbody', null, null, body)]);
}

// The legend of a scale's values (its colours and textures), and what makes two legends the same.
function scaleLegend(q, values, cls) {
  const legend = popLegend(values.map((v) => ({ fill: scaleFill(v), text: optLabel(q, v) })));
  if (cls) legend.classList.add(cls);
  if (contentLang()) legend.lang = contentLang();
  return legend;
}

function scaleKey(q) {
  if (q.type !== 'scale') return null;
  const def = S.defs.get(q.id);
  return def && def.scale ? `${def.scale}:${optionValues(q, def, {}).join(',')}` : null;
}

function questionFigure(q, sharedLegend) {
  const figs = figuresFor(q, S.group);
  const values = optionValues(q, S.defs.get(q.id), figs);
  const pops = POPULATIONS.filter((p) => p in figs);
  // The KOSTRA group and the previous wave are in the table and the downloads;
  // the chart keeps to four bars: the unit, its county, its size band and the nation.
  const charted = pops.filter((p) => p !== 'kostra_group' && p !== 'previous');
  const cap = el('figcaption', null, null, [el('h3', 'q-title', { id: 'qh-' + q.id, lang: contentLang() }, [qText(q)])]);
  if (q.type === 'multi') cap.append(T('p', 'res.multi', null, 'hint'));
  const alt = [];
  let chart;
  let legend;
  if (q.type === 'scale') {
    const rows = charted.map((p) => {
      const fig = figs[p];
      const name = popName(p);
      if (isWithheld(fig)) {
        const msg = withheldText(fig.reason);
        alt.push(`${name}: ${msg}`);
        return { label: name, withheld: msg };
      }
      const n = num(fig.n || 0);
      if (!fig.n) {
        alt.push(`${name}: ${t('res.no_answers')}`);
        return { label: t('res.row', { pop: name, n }), empty: t('res.no_answers') };
      }
      const hasMean = typeof fig.mean === 'number';
      const mean = hasMean ? num(fig.mean, 1) : '';
      alt.push(hasMean ? t('res.alt.mean_item', { pop: name, mean, n }) : t('res.alt.n_item', { pop: name, n }));
      return {
        label: hasMean ? t('res.row_mean', { pop: name, n, mean }) : t('res.row', { pop: name, n }),
        segments: shares(fig, values).map((s) => ({ key: scaleFill(s.value), share: s.share, text: pct(s.share) })),
      };
    });
    chart = stacked(rows, `${t('res.alt.stacked')} ${alt.join('; ')}. ${t('res.alt.table')}`);
    legend = sharedLegend ? null : scaleLegend(q, values);
  } else {
    const shown = charted.filter((p) => !isWithheld(figs[p]) && figs[p].n > 0);
    const sh = Object.fromEntries(shown.map((p) => [p, shares(figs[p], values)]));
    const options = values.map((v, vi) => ({
      label: optLabel(q, v),
      bars: shown.map((p) => ({ pop: fillOf(p), share: sh[p][vi].share, text: pct(sh[p][vi].share) })),
    }));
    const items = charted.map((p) => {
      const fig = figs[p];
      const name = popName(p);
      if (isWithheld(fig)) {
        const msg = withheldText(fig.reason);
        alt.push(`${name}: ${msg}`);
        return { fill: 'wh', text: `${name}: ${msg}`, cls: 'withheld' };
      }
      if (!fig.n) {
        alt.push(`${name}: ${t('res.no_answers')}`);
        return { fill: 'wh', text: `${name}: ${t('res.no_answers')}`, cls: 'withheld' };
      }
      const best = sh[p].reduce((a, b) => (b.count > a.count ? b : a), sh[p][0]);
      alt.push(t('res.alt.top_item', { pop: name, option: optLabel(q, best.value), pct: pct(best.share), n: num(fig.n) }));
      return { fill: popFill(fillOf(p)), text: t('res.row', { pop: name, n: num(fig.n) }) };
    });
    chart = grouped(options, `${t('res.alt.grouped')} ${alt.join('; ')}. ${t('res.alt.table')}`, shown.length ? null : t('res.nothing'));
    legend = popLegend(items);
  }
  return el('figure', 'q', { id: 'q-' + q.id }, [cap, legend, chart, ...tableToggle(q.id, questionTable(q, figs, pops, values), 'qh-' + q.id)]);
}

function paintQuestions() {
  const box = document.getElementById('questions');
  if (!box) return;
  const secs = sections(S.report, S.defs);
  const showing = T('p', 'res.filter.shown', { group: groupName(S.group) }, 'showing');
  box.replaceChildren(showing, ...secs.map((sec) => {
    const hid = 'h-s-' + (sec.id || 'other');
    const kids = [el('h2', null, { id: hid, lang: sec.id ? contentLang() : null }, [sectionName(sec.id)])];
    if (S.group !== 'all') kids.push(el('p', 'showing-small', null, [groupName(S.group)]));
    // Questions of one scale share its legend, shown once above them.
    const keys = new Set(sec.questions.map(scaleKey));
    const shared = keys.size === 1 && !keys.has(null);
    if (shared) {
      const q = sec.questions[0];
      kids.push(scaleLegend(q, optionValues(q, S.defs.get(q.id), figuresFor(q, S.group)), 'sec-legend'));
    }
    kids.push(el('div', 'q-grid', null, sec.questions.map((q) => questionFigure(q, shared))));
    return el('section', 'block qs', { id: 's-' + (sec.id || 'other'), 'aria-labelledby': hid }, kids);
  }));
  const note = document.getElementById('themes-note');
  if (note) note.hidden = S.group === 'all';
  paintDlHint();
  fitTexts(box);
}

function contents(r) {
  const secs = sections(r, S.defs);
  const link = (href, text, l) => el('li', null, null, [el('a', null, { href, lang: l }, [text])]);
  return el('nav', 'toc', { 'aria-labelledby': 'toc-title' }, [
    T('h2', 'res.toc', null, null, { id: 'toc-title' }),
    el('ul', null, null, [
      (r.indices || []).length ? link('#s-themes', t('res.themes.title')) : null,
      ...secs.map((s) => link('#s-' + (s.id || 'other'), sectionName(s.id), s.id ? contentLang() : null)),
      link('#s-about', t('res.about.title')),
    ]),
  ]);
}

function about(r) {
  return el('section', 'block about', { id: 's-about', 'aria-labelledby': 'h-about' }, [
    T('h2', 'res.about.title', null, null, { id: 'h-about' }),
    T('p', 'res.about.withheld', { min: num(r.min_respondents || 0) }),
    T('p', 'res.about.others'),
    el('p', null, null, [scaleText('res.about.scale')]),
    T('p', 'res.about.share'),
    T('p', 'res.about.groups'),
    S.plan.groups_hint ? el('p', null, null, [named(S.plan.groups_hint, lang)]) : null,
  ]);
}

function showReport() {
  S.view = showReport;
  const r = S.report;
  const kids = [
    T('h1', 'res.h1', { unit: r.unit.name }),
    el('p', 'lead', null, [t('res.survey', { name: surveyTitle(), survey: r.survey_id || S.survey })]),
    facts(r),
    el('p', 'live', { id: 'live', hidden: true }),
  ];
  if (r.suppressed) {
    // Why the unit's figures are not shown: too few answers, protecting others, or not final yet.
    const why = { protects_others: 'res.protects', not_released_yet: 'res.not_released' }[r.withheld_reason] || 'res.suppressed';
    const vars = { unit: r.unit.name, respondents: num(r.respondents || 0), min: num(r.min_respondents || 0) };
    kids.push(el('div', 'suppressed', { id: 'suppressed', 'data-reason': r.withheld_reason || 'too_few_answers' }, [
      T('h2', `${why}.title`, vars),
      T('p', `${why}.text`, vars),
    ]));
  }
  kids.push(
    themes(r),
    tools(r),
    contents(r),
    el('div', 'questions', { id: 'questions' }),
    about(r),
    el('p', 'sr-only', { role: 'status', id: 'announce' }),
  );
  render(kids.filter(Boolean), t('res.h1', { unit: r.unit.name }));
  paintCount();
  paintQuestions();
  fitTexts(main.querySelector('.themes') || main);
}

// ---------- downloads ----------

function fileName(ext) {
  const safe = (x) => String(x).replace(/[^A-Za-z0-9_-]/g, '');
  return `${t('res.file')}-${safe(S.report.survey_id || S.survey)}-${safe(S.report.unit.number || S.unit)}${S.group === 'all' ? '' : '-' + S.group}.${ext}`;
}

function labels(withGroup) {
  return {
    population: (p) => (withGroup && S.group !== 'all' ? `${popName(p)} – ${planName(S.plan.groups, S.group, 'short')}` : popName(p)),
    question: qText,
    option: optLabel,
    withheld: withheldText,
    none: () => t('res.no_answers'),
    index: indexName,
  };
}

const csvHeader = () => ['population', 'question', 'option', 'count', 'n', 'share', 'mean', 'note'].map((c) => (c === 'mean' ? scaleText('csv.mean') : t(`csv.${c}`)));

function save(name, bytes, type) {
  const href = URL.createObjectURL(new Blob([bytes], { type }));
  const a = el('a', 'sr-only', { href, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 60000);
}

function downloadCSV() {
  const rows = exportRows(S.report, S.defs, S.group, labels(true));
  const en = lang === 'en';
  const text = toCSV(csvHeader(), rows, { sep: en ? ',' : ';', decimal: en ? '.' : ',' });
  save(fileName('csv'), new TextEncoder().encode(text), 'text/csv;charset=utf-8');
}

function downloadXLSX() {
  const rows = exportRows(S.report, S.defs, S.group, labels(true));
  const ix = indexRows(S.report, labels(false));
  const bytes = xlsx([
    {
      name: t('xlsx.questions'),
      header: csvHeader(),
      rows: rows.map((r) => [r.population, r.question, r.option, r.count, r.n, r.share, r.mean, r.note]),
      styles: [0, 0, 0, 0, 0, STYLE.one, STYLE.two, 0],
      widths: [24, 60, 30, 9, 9, 10, 13, 36],
    },
    {
      name: t('xlsx.indices'),
      header: ['population', 'index', 'value', 'n', 'note'].map((c) => t(`xlsx.${c}`)),
      rows: ix.map((r) => [r.population, r.index, r.value, r.n, r.note]),
      styles: [0, 0, STYLE.one, 0, 0],
      widths: [24, 20, 14, 9, 36],
    },
  ], runDate(S.report.run_id) || new Date());
  save(fileName('xlsx'), bytes, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
}

// ---------- start ----------

async function boot() {
  readParams();
  chrome(loadStrings);
  try {
    await useLang(initialLang());
  } catch {
    await useLang('nb');
  }
  onLang(() => { if (S.view) S.view(); });
  await load();
}

start(boot);
