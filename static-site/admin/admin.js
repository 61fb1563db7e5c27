// /admin/: the IMDi console, where IMDi's staff run the survey waves. Signing
// in (auth.js), then the list of waves with a form for a new one, and a wave's
// view: its settings (changed by PATCH) and its parts — units, answers,
// reminders, results, languages, the log — each in its own module. The place
// is in the address (?survey=S&tab=T), so Back and Forward work; the token is
// only in memory, so a reload signs in again and comes back to the same place.
// Readers see everything and get no change controls; the API refuses them too.
import { setUi } from '/i18n.js';
import { start as boot } from '/registrer/lang.js';
import S from './strings.js';
import { signIn } from './auth.js';
import { api, mayChange, onExpired, signOut, start, user } from './session.js';
import { el, t, T, field, focusOn, busy, errorText, fmtAt, num, table, loadInto, spinner } from './ui.js';
import { fromOsloLocal, toOsloLocal, validSurveyId } from './logic.js';
import * as units from './units.js';
import * as answers from './answers.js';
import * as reminders from './reminders.js';
import * as results from './results.js';
import * as languages from './languages.js';
import * as log from './log.js';

const main = document.getElementById('main');
const header = document.getElementById('top');
const enc = encodeURIComponent;
const TABS = { units, answers, reminders, results, languages, log };

let leave = []; // stops the timers of what is on screen
let view = null; // the wave on screen: {survey, ctx, panel, nav, defs, facts}
let flash = null; // a message for the next screen (after a new wave)
let definitions = null;

function stopAll() {
  for (const fn of leave) fn();
  leave = [];
}

const loadDefinitions = () => (definitions ||= api('/definitions')
  .then((d) => new Map(d.definitions.map((x) => [x.id, x])))
  .catch((e) => { definitions = null; throw e; }));

// ---------- signing in and out ----------

async function begin(noticeKey) {
  stopAll();
  view = null;
  paintHeader();
  const token = await signIn(main, noticeKey);
  main.replaceChildren(spinner());
  try {
    await start(token);
  } catch (e) {
    const again = T('button', 'retry', null, 'btn', { type: 'button' });
    again.addEventListener('click', () => begin());
    // A user the pool knows but no console group holds gets 403 even for reading.
    const text = e?.code === 'forbidden' ? t('err.no_group') : errorText(e);
    main.replaceChildren(el('p', 'error', { role: 'alert' }, [text]), again);
    return;
  }
  paintHeader();
  route();
}

function paintHeader() {
  const me = user();
  const brand = T('p', 'app_title', null, 'brand');
  if (!me) {
    header.replaceChildren(brand);
    return;
  }
  const role = me.groups.includes('operators') ? 'operators' : 'readers';
  const out = T('button', 'header.signout', null, 'btn small', { type: 'button' });
  out.addEventListener('click', () => { signOut(); begin('signin.signed_out'); });
  header.replaceChildren(brand, el('div', 'who', null, [
    el('p', null, null, [t('header.user', { user: me.user }), ' ', el('span', 'role', null, [`(${t(`header.role.${role}`)})`])]),
    out,
  ]));
}

onExpired(() => begin('signin.expired'));

// ---------- places ----------

function go(href) {
  history.pushState(null, '', href);
  route();
}

// Links inside the console change the view without leaving the page.
main.addEventListener('click', (ev) => {
  const a = ev.target.closest('a[data-route]');
  if (!a || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.button !== 0) return;
  ev.preventDefault();
  go(a.getAttribute('href'));
});
window.addEventListener('popstate', () => { if (user()) route(); });

function route() {
  stopAll();
  const q = new URLSearchParams(location.search);
  const survey = q.get('survey');
  if (!survey) {
    view = null;
    showList();
  } else {
    const tab = q.get('tab') in TABS ? q.get('tab') : 'units';
    if (view?.survey === survey) showTab(tab, true);
    else showWave(survey, tab);
  }
}

const readerNote = () => (mayChange() ? null : T('p', 'reader.note', null, 'info'));
const badge = (status) => el('span', `state ${status}`, null, [t(`status.${status}`)]);

// ---------- the list of waves ----------

function showList() {
  const h1 = T('h1', 'waves.h1', null, null, { tabindex: '-1' });
  const list = el('div', 'wave-list');
  main.replaceChildren(...[h1, readerNote(), mayChange() ? newWave() : null, list].filter(Boolean));
  document.title = `${t('waves.h1')} – ${t('app_title')}`;
  focusOn(h1);
  loadInto(list, () => Promise.all([api('/waves'), loadDefinitions()]), ([{ waves }, defs]) => {
    if (!waves.length) {
      list.append(T('p', 'waves.none'));
      return;
    }
    const rows = waves.map((w) => [
      { th: el('a', null, { href: `?survey=${enc(w.survey_id)}`, 'data-route': true }, [w.survey_id]) },
      defs.get(w.definition)?.title || w.definition,
      badge(w.status),
      fmtAt(w.opens_at),
      fmtAt(w.closes_at),
      fmtAt(w.registration_deadline),
    ]);
    const head = ['wave.id', 'wave.definition', 'wave.status', 'wave.opens', 'wave.closes', 'wave.deadline'].map((k) => t(k));
    list.append(table(t('waves.caption'), head, rows, 'stacked'));
  });
}

// The button that opens the form for a new wave, and the form.
function newWave() {
  const box = el('section', 'new-wave', { id: 'new-wave', 'aria-labelledby': 'new-wave-h', hidden: true });
  const open = T('button', 'new.open', null, 'btn primary', { type: 'button', 'aria-expanded': 'false', 'aria-controls': box.id });
  const toggle = (show) => {
    box.hidden = !show;
    open.setAttribute('aria-expanded', String(show));
    if (show && !box.firstChild) fillNewWave(box, () => { toggle(false); focusOn(open); });
    if (show) focusOn(box.querySelector('h2'));
  };
  open.addEventListener('click', () => toggle(box.hidden));
  return el('div', 'new-wave-wrap', null, [open, box]);
}

// Datetime fields read as Norwegian time; an empty optional one is left out.
function timeField(labelKey, hintKey, value, required = false) {
  return field(labelKey, { type: 'datetime-local', required, value: value ? toOsloLocal(value) : null }, hintKey);
}

// Errors of a wave form: the first is focused. checks: [[field, key] for each failed check].
function showErrors(checks) {
  for (const [f, key] of checks) f.setError(t(key));
  if (checks.length) focusOn(checks[0][0].input);
  return checks.length > 0;
}

function fillNewWave(box, close) {
  const definition = field('new.definition', { required: true }, null, 'select');
  const id = field('new.id', { type: 'text', required: true, spellcheck: 'false', autocapitalize: 'off', autocomplete: 'off', maxlength: 40 }, 'new.id.hint');
  const opens = timeField('wave.opens', 'new.times.hint', null, true);
  const closes = timeField('wave.closes', 'new.times.hint', null, true);
  const deadline = timeField('wave.deadline', 'new.deadline.hint');
  const until = timeField('wave.results_until', 'new.results.hint');
  const min = field('wave.min', { type: 'number', min: 3, step: 1, inputmode: 'numeric' }, 'new.min.hint');
  const alert = el('p', 'error', { role: 'alert' });
  const cancel = T('button', 'new.cancel', null, 'btn', { type: 'button' });
  cancel.addEventListener('click', close);
  const form = el('form', 'wave-form', { novalidate: true }, [
    definition.wrap, id.wrap, opens.wrap, closes.wrap, deadline.wrap, until.wrap, min.wrap, alert,
    el('div', 'nav', null, [cancel, T('button', 'new.submit', null, 'btn primary', { type: 'submit' })]),
  ]);
  box.append(T('h2', 'new.h2', null, null, { id: 'new-wave-h', tabindex: '-1' }), form);
  loadDefinitions().then((defs) => {
    definition.input.append(...[...defs.values()].map((d) => el('option', null, { value: d.id }, [t('new.definition.option', { title: d.title, version: d.version })])));
  }, (e) => { alert.textContent = errorText(e); });
  const fields = { '/survey_id': id, '/definition': definition, '/opens_at': opens, '/closes_at': closes, '/registration_deadline': deadline, '/results_until': until, '/min_respondents': min };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(form, async () => {
      alert.textContent = '';
      for (const f of Object.values(fields)) f.setError(null);
      const body = waveBody({ opens, closes, deadline, until, min }, { survey_id: id.input.value.trim(), definition: definition.input.value });
      const checks = body.checks;
      if (!validSurveyId(body.survey_id)) checks.unshift([id, body.survey_id ? 'form.err.id' : 'form.required']);
      if (showErrors(checks)) return;
      delete body.checks;
      try {
        const out = await api('/waves', body);
        flash = t('new.done', { survey: out.wave.survey_id });
        go(`?survey=${enc(out.wave.survey_id)}`);
      } catch (e) {
        if (e.status === 401) return;
        const f = fields[e.field] || (e.code === 'survey_exists' ? id : e.code === 'unknown_definition' ? definition : null);
        if (f) {
          f.setError(errorText(e));
          focusOn(f.input);
        } else alert.textContent = errorText(e);
      }
    });
  });
}

// The times and the minimum of a wave form as the API takes them, added to
// `base`, with the checks that failed in `checks`. With `was` (the wave being
// edited) only what differs from it is put in.
function waveBody({ opens, closes, deadline, until, min }, base, was) {
  const body = { ...base, checks: [] };
  const put = (key, f, required) => {
    const raw = f.input.value;
    const iso = fromOsloLocal(raw);
    if (!raw && required) body.checks.push([f, 'form.required']);
    else if (raw && !iso) body.checks.push([f, 'form.err.time']);
    else if (iso && (!was || Date.parse(iso) !== Date.parse(was[key]))) body[key] = iso;
  };
  put('opens_at', opens, true);
  put('closes_at', closes, true);
  put('registration_deadline', deadline);
  put('results_until', until);
  const o = fromOsloLocal(opens.input.value);
  const c = fromOsloLocal(closes.input.value);
  if (o && c && Date.parse(c) <= Date.parse(o)) body.checks.push([closes, 'form.err.order']);
  if (min.input.value !== '') {
    const n = Number(min.input.value);
    if (!Number.isInteger(n) || n < 3) body.checks.push([min, 'form.err.min']);
    else if (!was || n !== was.min_respondents) body.min_respondents = n;
  }
  return body;
}

// ---------- a wave ----------

function showWave(survey, tab) {
  const h1 = el('h1', null, { tabindex: '-1' }, [t('view.h1', { survey })]);
  const back = el('p', 'back', null, [el('a', null, { href: location.pathname, 'data-route': true }, [t('view.back')])]);
  const body = el('div');
  main.replaceChildren(back, h1, body);
  document.title = `${t('view.h1', { survey })} – ${t('app_title')}`;
  focusOn(h1);
  const said = flash;
  flash = null;
  loadInto(body, () => Promise.all([api('/waves'), loadDefinitions()]), ([{ waves }, defs]) => {
    const wave = waves.find((w) => w.survey_id === survey);
    if (!wave) {
      body.append(el('p', 'error', { role: 'alert' }, [t('err.unknown_survey')]));
      return;
    }
    const ctx = waveContext(wave);
    const facts = el('div', 'wave-facts');
    const nav = el('nav', 'tabs', { 'aria-label': t('view.nav') }, [el('ul', null, null, Object.keys(TABS).map((id) => el('li', null, null, [
      el('a', null, { href: `?survey=${enc(survey)}&tab=${id}`, 'data-route': true, 'data-tab': id }, [t(`tab.${id}`)]),
    ])))]);
    const panel = el('section', 'panel', { 'aria-labelledby': 'panel-h' });
    view = { survey, ctx, panel, nav, defs, facts };
    body.append(...[said ? el('p', 'status-msg', { role: 'status' }, [said]) : null, readerNote(), facts, nav, panel].filter(Boolean));
    paintFacts();
    showTab(tab, false);
  });
}

// What the wave's parts share: the wave, its API path, the units (fetched
// once per part shown, and again after a change), its log, and state kept
// while switching parts.
function waveContext(wave) {
  let unitsOnce = null;
  const path = `/waves/${enc(wave.survey_id)}`;
  return {
    wave,
    path,
    mayChange: mayChange(),
    api: (sub, body, method) => api(path + sub, body, method),
    units: () => (unitsOnce ||= api(`${path}/units`).catch((e) => { unitsOnce = null; throw e; })),
    log: (unit) => api(`/audit?survey=${enc(wave.survey_id)}${unit ? `&unit=${enc(unit)}` : ''}`).then((d) => d.entries),
    dropUnits: () => { unitsOnce = null; },
    onLeave: (fn) => leave.push(fn),
    state: {},
  };
}

function paintFacts() {
  const { ctx: { wave }, facts, defs } = view;
  const row = (key, value, cls) => el('div', cls, null, [T('dt', key), el('dd', null, null, [value])]);
  const dl = el('dl', 'facts', null, [
    row('wave.definition', defs.get(wave.definition)?.title || wave.definition, 'wide'),
    row('wave.status', badge(wave.status)),
    row('wave.opens', fmtAt(wave.opens_at)),
    row('wave.closes', fmtAt(wave.closes_at)),
    row('wave.deadline', fmtAt(wave.registration_deadline)),
    row('wave.results_until', fmtAt(wave.results_until)),
    row('wave.min', num(wave.min_respondents)),
    row('wave.webinar', wave.webinar ? el('span', null, null, [`${fmtAt(wave.webinar.at)} `, el('a', null, { href: wave.webinar.url }, [wave.webinar.url])]) : t('wave.webinar.none'), 'wide'),
  ]);
  facts.replaceChildren(dl);
  if (mayChange()) facts.append(editWave());
}

function editWave() {
  const { wave } = view.ctx;
  const box = el('section', 'edit-wave', { id: 'edit-wave', 'aria-labelledby': 'edit-wave-h', hidden: true });
  const open = T('button', 'edit.open', null, 'btn', { type: 'button', 'aria-expanded': 'false', 'aria-controls': box.id });
  const opens = timeField('wave.opens', 'new.times.hint', wave.opens_at, true);
  const closes = timeField('wave.closes', null, wave.closes_at, true);
  const deadline = timeField('wave.deadline', null, wave.registration_deadline, true);
  const until = timeField('wave.results_until', null, wave.results_until, true);
  const fixed = wave.results_fixed === true;
  const min = field('wave.min', { type: 'number', min: 3, step: 1, inputmode: 'numeric', value: wave.min_respondents, readonly: fixed },
    fixed ? 'edit.fixed.min' : 'new.min.hint');
  const webAt = timeField('edit.webinar_at', 'edit.webinar.hint', wave.webinar?.at);
  const webUrl = field('edit.webinar_url', { type: 'url', spellcheck: 'false', value: wave.webinar?.url || null });
  const alert = el('p', 'error', { role: 'alert' });
  const cancel = T('button', 'new.cancel', null, 'btn', { type: 'button' });
  const toggle = (show) => {
    box.hidden = !show;
    open.setAttribute('aria-expanded', String(show));
    focusOn(show ? box.querySelector('h2') : open);
  };
  open.addEventListener('click', () => toggle(box.hidden));
  cancel.addEventListener('click', () => toggle(false));
  const form = el('form', 'wave-form', { novalidate: true }, [
    opens.wrap, closes.wrap, deadline.wrap, until.wrap, min.wrap, webAt.wrap, webUrl.wrap, alert,
    el('div', 'nav', null, [cancel, T('button', 'edit.submit', null, 'btn primary', { type: 'submit' })]),
  ]);
  box.append(T('h2', 'edit.h2', null, null, { id: 'edit-wave-h', tabindex: '-1' }), ...(fixed ? [T('p', 'edit.fixed', null, 'info')] : []), form);
  const fields = { '/opens_at': opens, '/closes_at': closes, '/registration_deadline': deadline, '/results_until': until, '/min_respondents': min, '/webinar': webUrl };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(form, async () => {
      alert.textContent = '';
      for (const f of [...Object.values(fields), webAt]) f.setError(null);
      const body = waveBody({ opens, closes, deadline, until, min }, {}, wave);
      const at = fromOsloLocal(webAt.input.value);
      const url = webUrl.input.value.trim();
      if ((at || url) && !(at && /^https:\/\/\S+$/.test(url))) body.checks.push([at ? webUrl : webAt, 'form.err.webinar']);
      else if (at && (Date.parse(at) !== Date.parse(wave.webinar?.at) || url !== wave.webinar?.url)) body.webinar = { at, url };
      if (showErrors(body.checks)) return;
      delete body.checks;
      if (!Object.keys(body).length) {
        alert.textContent = t('edit.nothing');
        return;
      }
      try {
        const out = await api(view.ctx.path, body, 'PATCH');
        view.ctx.wave = out.wave;
        paintFacts();
        const note = el('p', 'status-msg', { role: 'status', tabindex: '-1' }, [t('edit.done')]);
        view.facts.append(note);
        focusOn(note);
      } catch (e) {
        if (e.status === 401) return;
        const f = fields[e.field];
        if (f) {
          f.setError(errorText(e));
          focusOn(f.input);
        } else alert.textContent = errorText(e);
      }
    });
  });
  return el('div', null, null, [open, box]);
}

// Shows part `tab` of the wave on screen; `moved`: chosen from the menu (focus goes to its heading).
function showTab(tab, moved) {
  stopAll();
  const { panel, nav, ctx, survey } = view;
  ctx.dropUnits();
  for (const a of nav.querySelectorAll('a')) {
    if (a.dataset.tab === tab) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const h2 = el('h2', null, { id: 'panel-h', tabindex: '-1' }, [t(`tab.${tab}`)]);
  panel.replaceChildren(h2);
  document.title = `${t(`tab.${tab}`)} – ${t('view.h1', { survey })} – ${t('app_title')}`;
  TABS[tab].render(panel, ctx);
  if (moved) focusOn(h2);
}

boot(async () => {
  setUi(S);
  await begin();
});
