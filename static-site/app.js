// The participant survey page: start (language + access code) -> intro ->
// one question per screen -> review -> send (with retries) -> receipt.
// All user-facing text comes from i18n files through t()/txt().
import { t, txt, el, has, setUi, setContent } from './i18n.js';
import { getJSON, postJSON } from './api.js';
import { ulid, isEmpty, visible, sanitize, answersToSend, endsSurvey, retryDelay } from './logic.js';

const params = new URLSearchParams(location.search);
const DEMO = params.get('demo') === '1';
const PKEY = 'brukerundersokelse.progress.v1';
const LKEY = 'brukerundersokelse.lang';
// Sent answers whose receipt never came, of people who have left the device: [body, ...].
const OKEY = 'brukerundersokelse.outbox.v1';
// Progress older than a lesson belongs to someone who has left a shared classroom device.
const MAX_AGE = 3 * 60 * 60 * 1000;
const main = document.getElementById('main');
const header = document.getElementById('top');
const banner = document.getElementById('demo-banner');

let S = null; // progress: {survey_id, code, unit, language, submission_id, answers, screen, pos, pending}
let qn = null; // questionnaire structure
let info = null; // the wave: dates, status, languages
let uiLangs = []; // languages with UI strings (i18n/languages.json)
let lang = 'nb';
let current = null; // re-renders the current screen (after a language change)
let startCode = null; // what was typed in the code field, kept across re-renders
let sending = false;

const store = {
  get(k) { try { return JSON.parse(localStorage.getItem(k)); } catch { return null; } },
  set(k, v) { try { localStorage.setItem(k, JSON.stringify(v)); } catch { /* private mode */ } },
  del(k) { try { localStorage.removeItem(k); } catch { /* ignore */ } },
};
const save = () => { if (!DEMO && S && S.code) { S.saved_at = Date.now(); store.set(PKEY, S); } };
const clearProgress = () => store.del(PKEY);
const fresh = (p) => Math.abs(Date.now() - p.saved_at) < MAX_AGE;
// Forgets the person who used the device: their progress, language and read-aloud choice.
// A body they sent that has no receipt yet moves to the outbox, to be sent without them.
function forgetPerson(p) {
  if (p && p.pending) {
    const box = [].concat(store.get(OKEY) || []);
    if (!box.some((b) => b && b.submission_id === p.pending.submission_id)) store.set(OKEY, [...box, p.pending]);
  }
  clearProgress();
  store.del(LKEY);
  try { sessionStorage.removeItem('brukerundersokelse.read_aloud'); } catch { /* private mode */ }
}
// The start screen for the next person, loaded anew so nothing of the last one stays in memory;
// the class's access code stays in the address: everyone in a class has the same one.
function nextPerson(p, code) {
  forgetPerson(p);
  location.replace(location.pathname + (code ? '?code=' + encodeURIComponent(code) : ''));
}
const norm = (c) => String(c || '').toUpperCase().replace(/[\s-]/g, '');
const enc = encodeURIComponent;

// ---------- languages and strings ----------

const langOf = (c) => uiLangs.find((l) => l.code === c) || (info && info.languages.find((l) => l.code === c));

function pickLang(...wanted) {
  for (const w of wanted) {
    if (!w) continue;
    const c = String(w).toLowerCase();
    if (uiLangs.some((l) => l.code === c)) return c;
    const base = c.split('-')[0];
    if (['no', 'nn', 'nb'].includes(base)) return 'nb';
    if (uiLangs.some((l) => l.code === base)) return base;
  }
  return 'nb';
}

async function loadUi(code) {
  let s;
  try {
    s = await getJSON(`i18n/${enc(code)}.json`);
  } catch (e) {
    if (code !== 'nb') return loadUi('nb');
    throw e;
  }
  setUi(s.strings);
  lang = code;
  const l = langOf(code);
  document.documentElement.lang = code;
  document.documentElement.dir = l && l.dir === 'rtl' ? 'rtl' : 'ltr';
}

// A language the participant picked is kept for the next visit; one taken from the browser is not stored.
async function chooseLang(code) {
  await loadUi(code);
  store.set(LKEY, lang);
}

// Question texts for the wave; the chosen language if the wave offers it, else nb.
async function loadContent() {
  let c = info.languages.some((l) => l.code === lang) ? lang : 'nb';
  const base = `/content/${enc(S.survey_id)}/i18n/`;
  let s, fb;
  try {
    [s, fb] = await Promise.all([
      getJSON(base + c + '.json'),
      c === 'nb' ? null : getJSON(base + 'nb.json').catch(() => null),
    ]);
  } catch (e) {
    if (c === 'nb') throw e;
    c = 'nb';
    s = await getJSON(base + 'nb.json');
  }
  if (c !== lang) await loadUi(c);
  setContent(s.strings, fb && fb.strings);
  S.language = c;
  loadAudio(S.survey_id, c);
}

// Play buttons and read-aloud (audio.js, loaded only now); the survey never waits for it.
const loadAudio = (survey, code) => import('./audio.js').then((m) => m.setup(survey, code)).catch(() => { /* no audio */ });
// Before a code names the wave, the start screen speaks with the current wave's clips (config.json).
const startAudio = () => getJSON('config.json').then((cfg) => loadAudio(cfg.survey_id, lang)).catch(() => { /* no audio */ });

async function loadSurvey() {
  const sid = enc(S.survey_id);
  [info, qn] = await Promise.all([getJSON(`/api/surveys/${sid}`), getJSON(`/api/surveys/${sid}/questionnaire`)]);
  await loadContent();
  S.answers = sanitize(qn, S.answers);
}

function fmtDate(iso, end) {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return '';
  // An end time at midnight means "up to and including the day before".
  const d = new Date(end ? ms - 1 : ms);
  try {
    return new Intl.DateTimeFormat(lang, { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/Oslo' }).format(d);
  } catch {
    return d.toISOString().slice(0, 10);
  }
}

// ---------- rendering ----------

function paintChrome(langButton) {
  banner.hidden = !DEMO;
  if (DEMO) banner.replaceChildren(txt('p', 'ui.demo_banner'));
  const kids = [txt('p', 'ui.app_title', { cls: 'brand' })];
  if (langButton) {
    const l = langOf(lang);
    const b = el('button', 'btn small globe', { type: 'button' }, [
      txt('span', 'ui.language', { cls: 'sr-only' }),
      txt('span', 'lang.' + lang, { def: l ? l.native_name : lang, cls: 'lang-name', attrs: { lang, dir: l && l.dir === 'rtl' ? 'rtl' : 'ltr' } }),
    ]);
    const back = current;
    b.onclick = () => showLanguage(back);
    kids.push(b);
  }
  header.replaceChildren(...kids);
  const statement = document.getElementById('a11y-link');
  statement.textContent = t('ui.a11y_statement');
  const norwegian = lang === 'nb' || lang === 'nn';
  statement.href = norwegian ? '/tilgjengelighet/' : '/tilgjengelighet/en/';
  statement.hreflang = norwegian ? 'nb' : 'en';
}

function render(kids, { focus, langButton = false } = {}) {
  paintChrome(langButton);
  main.replaceChildren(...kids);
  const h = main.querySelector('h1');
  if (h) {
    h.tabIndex = -1;
    document.title = h.textContent + ' – ' + t('ui.app_title');
  }
  window.scrollTo(0, 0);
  (focus || h || main).focus();
}

const button = (key, cls, onclick, attrs) => {
  const b = el('button', 'btn ' + (cls || ''), { type: onclick ? 'button' : 'submit', ...attrs }, [txt('span', key)]);
  if (onclick) b.onclick = onclick;
  return b;
};
const nav = (...kids) => el('div', 'nav', null, kids);

function optionKey(q, v) {
  const k = q.type === 'scale' ? `scale.${q.scale}.${v}` : `q.${q.id}.opt.${v}`;
  return has(k) ? k : `opt.${v}`;
}

// The picture beside each step of a scale, the same in every language: as many filled
// steps as the step's number, rising, so the shape shows the order without colour or
// words; "Vet ikke" gets a question mark instead. Only a picture (aria-hidden): the
// option's accessible name stays its words. Drawn inline, with its size fixed, so
// nothing is downloaded and nothing shifts.
const SVG = 'http://www.w3.org/2000/svg';
const svgEl = (tag, attrs) => {
  const e = document.createElementNS(SVG, tag);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  return e;
};
function scalePicture(q, value) {
  const steps = q.options.filter((o) => o.value !== 'dont_know').map((o) => o.value);
  const pic = svgEl('svg', { class: 'scale-pic', viewBox: '0 0 40 24', width: '40', height: '24', 'aria-hidden': 'true', focusable: 'false' });
  pic.dataset.step = value;
  const n = steps.indexOf(value) + 1;
  if (n === 0) {
    pic.classList.add('unknown');
    pic.append(
      svgEl('circle', { cx: 20, cy: 12, r: 10.5, fill: 'none', stroke: 'currentColor', 'stroke-width': 2 }),
      svgEl('path', { d: 'M16.5 9.5a3.5 3.5 0 1 1 4.6 3.3c-.7.3-1.1.9-1.1 1.7v.8', fill: 'none', stroke: 'currentColor', 'stroke-width': 2.2, 'stroke-linecap': 'round' }),
      svgEl('circle', { cx: 20, cy: 18.3, r: 1.4, fill: 'currentColor' }),
    );
    return pic;
  }
  const w = 40 / steps.length;
  steps.forEach((_, k) => {
    const h = 6 + (17 * (k + 1)) / steps.length;
    pic.append(svgEl('rect', {
      x: k * w + 1, y: 23 - h, width: w - 2.5, height: h, rx: 1,
      fill: k < n ? 'currentColor' : 'none', stroke: 'currentColor', 'stroke-width': 1.5,
    }));
  });
  return pic;
}

function langFieldset(list, onPick) {
  const fs = el('fieldset', 'choices langs', null, [el('legend', null, null, [txt('span', 'ui.language.choose')])]);
  for (const l of list) {
    const input = el('input', null, { type: 'radio', name: 'lang', value: l.code });
    input.checked = l.code === lang;
    input.onchange = () => onPick(l.code);
    fs.append(el('label', 'opt', { lang: l.code, dir: l.dir === 'rtl' ? 'rtl' : 'ltr' }, [
      input, txt('span', 'lang.' + l.code, { def: l.native_name, cls: 'lang-name' }),
    ]));
  }
  return fs;
}

// ---------- screens ----------

function showStart(focusLang) {
  current = null;
  if (S && S.screen !== 'start') { S.screen = 'start'; save(); }
  const fieldErr = el('p', 'error', { id: 'code-err', 'aria-live': 'assertive' });
  const input = el('input', 'input', {
    id: 'code', name: 'code', type: 'text', autocomplete: 'off', autocapitalize: 'characters',
    spellcheck: 'false', maxlength: '40', 'aria-describedby': 'code-err', dir: 'ltr',
  });
  input.value = startCode ?? params.get('code') ?? (S && S.code) ?? '';
  input.oninput = () => { startCode = input.value; };
  const go = button(DEMO ? 'ui.demo.start' : 'ui.start', 'primary');
  const form = el('form', 'stack', { novalidate: true }, [
    langFieldset(uiLangs, async (c) => {
      try { await chooseLang(c); } catch { /* keep the current language */ }
      showStart(c);
    }),
    DEMO ? null : el('div', 'field', null, [
      el('label', null, { for: 'code' }, [txt('span', 'ui.code.label', { cls: 'label' }), txt('span', 'ui.code.hint', { cls: 'hint' })]),
      input,
      fieldErr,
    ]),
    nav(go),
  ]);
  const fail = (code) => {
    const known = ['empty_code', 'malformed_code', 'unknown_code', 'rate_limited', 'network'];
    fieldErr.replaceChildren(txt('span', known.includes(code) ? 'ui.err.' + code : 'ui.err.generic'));
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  };
  let busy = false;
  form.onsubmit = async (ev) => {
    ev.preventDefault();
    if (busy) return;
    fieldErr.replaceChildren();
    input.removeAttribute('aria-invalid');
    busy = true;
    form.setAttribute('aria-busy', 'true');
    try {
      if (DEMO) return await startDemo();
      const code = input.value.trim();
      if (!code) return fail('empty_code');
      const r = await postJSON('/api/codes/validate', { access_code: code });
      if (r.status !== 'open') return await showClosed(r);
      if (!(S && S.survey_id === r.survey_id && norm(S.code) === norm(code))) {
        S = { v: 1, survey_id: r.survey_id, code, answers: {} };
      }
      S.unit = r.unit;
      await loadSurvey();
      showIntro();
    } catch (e) {
      if (DEMO) showLoadError(() => showStart());
      else fail(e.status === 429 ? 'rate_limited' : e.code);
    } finally {
      busy = false;
      form.removeAttribute('aria-busy');
    }
  };
  const focus = focusLang && form.querySelector(`input[name=lang][value="${focusLang}"]`);
  render([txt('h1', DEMO ? 'ui.demo.title' : 'ui.start.title'), txt('p', DEMO ? 'ui.demo.lead' : 'ui.start.lead', { cls: 'lead' }), form], { focus });
  startAudio();
}

async function startDemo() {
  const cfg = await getJSON('config.json');
  S = { v: 1, survey_id: cfg.survey_id, code: null, answers: {}, language: lang };
  await loadSurvey();
  showIntro();
}

async function showClosed(r) {
  let w = null;
  try { w = await getJSON(`/api/surveys/${enc(r.survey_id)}`); } catch { /* dates are best effort */ }
  const opens = fmtDate(w && w.opens_at);
  const closes = fmtDate(r.closes_at || (w && w.closes_at), true);
  const kids = [txt('h1', 'ui.closed.title')];
  if (r.status === 'upcoming') kids.push(opens ? txt('p', 'ui.closed.upcoming', { vars: { opens, closes } }) : txt('p', 'ui.closed.later'));
  else if (closes) kids.push(txt('p', 'ui.closed.closed', { vars: { closes } }));
  kids.push(txt('p', 'ui.closed.ask'), nav(button('ui.back', '', () => showStart())));
  render(kids);
}

function showLoadError(retry) {
  current = null;
  render([txt('h1', 'ui.load_err.title'), txt('p', 'ui.err.network'), nav(button('ui.retry', 'primary', retry))]);
}

function showIntro() {
  S.screen = 'intro';
  save();
  current = showIntro;
  const started = Object.keys(S.answers).length > 0;
  const kids = [txt('h1', 'ui.intro.title')];
  if (S.unit && S.unit.name) kids.push(txt('p', 'ui.intro.unit', { vars: { unit: S.unit.name }, cls: 'unit' }));
  kids.push(el('ul', 'points', null, ['anonymous', 'voluntary', 'time', 'headphones'].map((k) => txt('li', 'ui.intro.' + k))));
  const begin = () => {
    if (!S.submission_id) S.submission_id = ulid();
    const vis = visible(qn, S.answers);
    showQuestion(started && S.pos ? S.pos : vis[0].id);
  };
  kids.push(nav(
    button('ui.back', '', () => showStart()),
    button(started ? 'ui.intro.continue' : 'ui.intro.begin', 'primary', begin),
  ));
  if (started) {
    kids.push(nav(button('ui.intro.restart', 'link', () => {
      S.answers = {};
      S.pos = null;
      S.submission_id = null;
      showIntro();
    })));
  }
  render(kids, { langButton: true });
}

function showQuestion(id) {
  const vis = visible(qn, S.answers);
  const i = Math.max(0, vis.findIndex((x) => x.id === id));
  const q = vis[i];
  S.screen = 'q';
  S.pos = q.id;
  save();
  current = () => showQuestion(q.id);
  const multi = q.type === 'multi';
  const err = el('p', 'error', { id: 'q-err', 'aria-live': 'assertive' });
  const helpKey = `q.${q.id}.help`;
  const help = has(helpKey) ? txt('p', helpKey, { cls: 'hint', id: 'q-help' }) : null;
  const h = txt('h1', `q.${q.id}.text`, { cls: 'qtext' });
  const fs = el('fieldset', 'choices ' + q.type, { 'aria-describedby': help ? 'q-help q-err' : 'q-err' }, [el('legend', null, null, [h]), help]);
  const a = S.answers[q.id];
  for (const o of q.options) {
    const input = el('input', null, { type: multi ? 'checkbox' : 'radio', name: q.id, value: o.value });
    input.checked = multi ? Array.isArray(a) && a.includes(o.value) : a === o.value;
    const pic = q.type === 'scale' ? scalePicture(q, o.value) : null;
    fs.append(el('label', 'opt' + (o.value === 'dont_know' ? ' dk' : ''), null, [input, pic, txt('span', optionKey(q, o.value))]));
  }
  const next = el('button', 'btn primary', { type: 'submit' });
  const paintNext = () => next.replaceChildren(txt('span', !q.required && isEmpty(S.answers[q.id]) ? 'ui.skip' : 'ui.next'));
  paintNext();
  fs.onchange = (ev) => {
    if (multi) {
      const boxes = [...fs.querySelectorAll('input')];
      const exclusive = (v) => v === 'none' || v === 'dont_know';
      if (ev.target.checked) {
        for (const b of boxes) if (b !== ev.target && (exclusive(ev.target.value) || exclusive(b.value))) b.checked = false;
      }
      const vals = boxes.filter((b) => b.checked).map((b) => b.value);
      if (vals.length) S.answers[q.id] = vals;
      else delete S.answers[q.id];
    } else {
      S.answers[q.id] = ev.target.value;
    }
    save();
    err.replaceChildren();
    paintNext();
  };
  const back = () => (i > 0 ? showQuestion(vis[i - 1].id) : showIntro());
  const form = el('form', 'stack', { novalidate: true }, [
    el('div', 'progress', null, [
      el('div', 'progress-count', null, [
        txt('p', 'ui.progress', { id: 'prog', vars: { n: i + 1, total: vis.length } }),
        el('progress', null, { max: vis.length, value: i + 1, 'aria-labelledby': 'prog' }),
      ]),
    ]),
    q.section ? txt('p', 'section.' + q.section, { cls: 'section' }) : null,
    fs,
    err,
    nav(button('ui.back', '', back), next),
  ]);
  form.onsubmit = (ev) => {
    ev.preventDefault();
    const ans = S.answers[q.id];
    if (q.required && isEmpty(ans)) {
      err.replaceChildren(txt('span', 'ui.err.required'));
      fs.querySelector('input').focus();
      return;
    }
    if (endsSurvey(q, ans)) return showEnded(q.id);
    const now = visible(qn, S.answers);
    const j = now.findIndex((x) => x.id === q.id);
    if (j + 1 < now.length) showQuestion(now[j + 1].id);
    else showReview();
  };
  render([form], { focus: h, langButton: true });
}

function showReview() {
  S.screen = 'review';
  save();
  current = showReview;
  const vis = visible(qn, S.answers);
  const list = el('ol', 'review');
  vis.forEach((q, k) => {
    const a = S.answers[q.id];
    const vals = isEmpty(a) ? [] : [].concat(a);
    list.append(el('li', null, null, [
      txt('p', `q.${q.id}.text`, { cls: 'rq', id: 'rq' + k }),
      ...(vals.length ? vals.map((v) => {
        const answer = txt('p', optionKey(q, v), { cls: 'ra' });
        if (q.type === 'scale') answer.prepend(scalePicture(q, v));
        return answer;
      }) : [txt('p', 'ui.review.skipped', { cls: 'ra muted' })]),
      button('ui.review.change', 'link', () => showQuestion(q.id), { 'aria-describedby': 'rq' + k }),
    ]));
  });
  render([
    txt('h1', 'ui.review.title'),
    txt('p', 'ui.review.lead', { cls: 'lead' }),
    nav(button('ui.back', '', () => showQuestion(vis[vis.length - 1].id)), button('ui.send', 'primary', send)),
    el('details', 'answers', null, [el('summary', null, null, [txt('span', 'ui.review.show')]), list]),
  ], { langButton: true });
}

function send() {
  if (DEMO) return showDemoEnd();
  S.pending = {
    survey_id: S.survey_id,
    access_code: S.code,
    submission_id: S.submission_id,
    language: S.language,
    answers: answersToSend(qn, S.answers),
  };
  S.screen = 'sending';
  save();
  sendLoop();
}

const sleep = (ms) => new Promise((resolve) => {
  const done = () => { clearTimeout(timer); removeEventListener('online', done); resolve(); };
  const timer = setTimeout(done, ms);
  addEventListener('online', done);
});
const retryable = (e) => e.status === 0 || e.status === 408 || e.status === 429 || e.status >= 500 || e.code === 'bad_response';

// Sends the frozen body with the same submission id until the server answers
// 200/201 (the server deduplicates by submission id) or a final 4xx.
async function sendLoop() {
  if (sending) return;
  sending = true;
  current = null;
  const status = el('div', 'status', { role: 'status', 'aria-live': 'polite' }, [txt('p', 'ui.sending')]);
  render([txt('h1', 'ui.sending.title'), el('div', 'spinner', { 'aria-hidden': 'true' }), status]);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await postJSON('/api/responses', S.pending);
        const code = S.code;
        forgetPerson();
        S = null;
        return showThanks(r.receipt, code);
      } catch (e) {
        if (!retryable(e)) return showSendError(e);
        if (!status.querySelector('.warn')) status.replaceChildren(txt('p', 'ui.sending.retry', { cls: 'warn' }));
        await sleep(retryDelay(attempt, e.retryAfter));
      }
    }
  } finally {
    sending = false;
  }
}

function showThanks(receipt, code) {
  current = null;
  render([
    txt('h1', 'ui.thanks.title'),
    txt('p', 'ui.thanks.saved'),
    el('div', 'receipt', null, [
      el('p', null, null, [txt('span', 'ui.thanks.receipt'), ' ', el('strong', null, { id: 'receipt', translate: 'no', dir: 'ltr' }, [String(receipt || '')])]),
      txt('p', 'ui.thanks.receipt_about'),
    ]),
    txt('p', 'ui.thanks.close'),
    nav(button('ui.thanks.next', 'primary', () => nextPerson(null, code))),
  ]);
}

// Sends the bodies in the outbox (people who have left) with their own ids, without a
// screen, until each has a receipt or a final refusal; the next person is never held up.
async function sendOutbox() {
  const finished = new Set(); // also when storage refuses to be written
  const left = () => [].concat(store.get(OKEY) || []).filter((b) => b && b.submission_id && !finished.has(b.submission_id));
  for (let attempt = 0; ;) {
    const box = left();
    if (!box.length) return store.del(OKEY);
    const body = box[0];
    const done = () => {
      finished.add(body.submission_id);
      store.set(OKEY, left());
    };
    try {
      await postJSON('/api/responses', body);
      done();
      attempt = 0;
    } catch (e) {
      if (!retryable(e)) done();
      else await sleep(retryDelay(attempt++, e.retryAfter));
    }
  }
}

function showSendError(e) {
  S.pending = null;
  S.screen = 'review';
  save();
  current = null;
  const known = ['invalid_answer', 'unknown_language', 'survey_not_open', 'survey_closed', 'unknown_code', 'submission_conflict'];
  const kids = [txt('h1', 'ui.send_err.title'), txt('p', known.includes(e.code) ? 'ui.send_err.' + e.code : 'ui.send_err.generic', { attrs: { role: 'alert' } })];
  const qid = e.code === 'invalid_answer' && e.field ? String(e.field).split('/').pop() : null;
  const btns = [button('ui.send_err.review', qid ? '' : 'primary', () => withSurvey(showReview))];
  if (qid && (!qn || visible(qn, S.answers).some((q) => q.id === qid))) btns.push(button('ui.send_err.goto', 'primary', () => withSurvey(() => showQuestion(qid))));
  kids.push(nav(...btns));
  render(kids);
}

// Runs fn once the wave, questionnaire and texts are loaded (a resumed send skips loading them).
function withSurvey(fn) {
  if (qn) return fn();
  loadSurvey().then(fn, () => showLoadError(() => withSurvey(fn)));
}

// An option such as "I am on leave": nothing is sent and stored progress is cleared.
function showEnded(qid) {
  clearProgress();
  const kept = S;
  current = null;
  render([
    txt('h1', 'ui.ended.title'),
    txt('p', 'ui.ended.text'),
    txt('p', DEMO ? 'ui.demo_end.text' : 'ui.ended.nothing_sent'),
    nav(button('ui.ended.back', 'link', () => { S = kept; showQuestion(qid); })),
  ]);
}

function showDemoEnd() {
  current = null;
  render([
    txt('h1', 'ui.demo_end.title'),
    txt('p', 'ui.demo_end.text'),
    nav(button('ui.demo_end.again', 'primary', () => { S = null; showStart(); })),
  ]);
}

// The language list; before the wave is loaded (the prompt of a shared device), every UI language.
function showLanguage(back) {
  const offered = info ? uiLangs.filter((l) => info.languages.some((w) => w.code === l.code)) : uiLangs;
  const fs = langFieldset(offered, async (c) => {
    try {
      await chooseLang(c);
      if (info) {
        await loadContent();
        save();
      }
    } catch { /* stay in the language we have */ }
    showLanguage(back);
    const r = main.querySelector(`input[name=lang][value="${lang}"]`);
    if (r) r.focus();
  });
  const h = txt('h1', 'ui.language.choose');
  fs.firstChild.replaceChildren(h);
  const form = el('form', 'stack', { novalidate: true }, [fs, nav(button('ui.ok', 'primary'))]);
  form.onsubmit = (ev) => { ev.preventDefault(); (back || showIntro)(); };
  render([form], { focus: h });
}

// ---------- start ----------

// Saved progress with answers belongs to whoever gave them: on a shared device the
// next person is asked first, and sees nothing of them unless they say it is theirs.
function showResume(saved) {
  current = () => showResume(saved);
  render([
    txt('h1', 'ui.resume.title'),
    txt('p', 'ui.resume.text'),
    el('div', 'nav choice', null, [
      button('ui.resume.new', '', () => nextPerson(saved, saved.code)),
      button('ui.resume.continue', 'primary', () => resume(saved)),
    ]),
  ], { langButton: true });
  startAudio();
}

async function resume(saved) {
  if (!fresh(saved)) return location.reload(); // the prompt stood unanswered longer than a lesson
  S = saved;
  // A frozen body waiting to be sent needs nothing more than the UI strings.
  if (S.pending) return sendLoop();
  try {
    await loadSurvey();
  } catch {
    return showLoadError(() => resume(saved));
  }
  if (info.status === 'closed') return showClosed({ survey_id: S.survey_id, status: info.status, closes_at: info.closes_at });
  if (S.screen === 'q' && S.submission_id && visible(qn, S.answers).some((q) => q.id === S.pos)) return showQuestion(S.pos);
  if (S.screen === 'review' && S.submission_id) return showReview();
  if (S.screen === 'start') return showStart();
  showIntro();
}

// A page left open longer than a lesson is loaded anew, which drops the progress (boot).
function expireIdle() {
  if (S && S.code && !fresh(S)) location.reload();
}

async function boot() {
  uiLangs = await getJSON('i18n/languages.json');
  let saved = DEMO ? null : store.get(PKEY);
  const urlCode = params.get('code');
  const usable = saved && saved.v === 1 && saved.survey_id && saved.code && saved.answers && fresh(saved)
    && !(urlCode && norm(urlCode) !== norm(saved.code)); // not another unit's link
  if (!usable) {
    if (saved) forgetPerson(saved);
    saved = null;
  }
  sendOutbox();
  setInterval(expireIdle, 60 * 1000);
  addEventListener('pageshow', expireIdle);
  document.addEventListener('visibilitychange', expireIdle);
  await loadUi(pickLang(saved && saved.language, params.get('lang'), store.get(LKEY), ...(navigator.languages || [])));
  if (!saved) return showStart();
  if (saved.pending || Object.keys(saved.answers).length) return showResume(saved);
  await resume(saved);
}

boot().catch(() => {
  document.getElementById('boot-error').hidden = false;
  main.replaceChildren();
});
