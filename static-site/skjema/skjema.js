// /skjema/#token=T: a leader's own part of a unit's form in a survey of roles
// (the municipal survey). The token comes from the personal link's fragment, so
// it never reaches a server log; the page keeps it for the tab's session. Answers
// are saved as a draft as they are given, so the form can be left and taken up
// again with the same link on any device; submitting makes them final.
import { el, setContent, t } from '/i18n.js';
import { getJSON, getWithToken, sendWithToken } from '/api.js';
import { T, chrome, fmtMoment, initialLang, lang, onLang, pageStrings, readToken, put, start, surveyTexts, useLang } from '/registrer/lang.js';
import { answersToSend, blocks, length, missing, retryDelay, shown, toggle } from '/skjema/form.js';

const API = '/api/org-responses/current';
const TOKEN_KEY = 'skjema-token';
const SAVE_AFTER_MS = 800;
const main = document.getElementById('main');

const S = {
  token: null,
  form: null, // GET /api/org-responses/current
  answers: {},
  saved: null, // Date of the last save, or null
  saving: false,
  dirty: false,
  attempt: 0,
  timer: null,
  receipt: null,
  view: null,
  languages: ['nb'], // the wave's languages with complete texts
  langChosen: false, // the reader chose a language (now or on an earlier visit)
};

let contentOf = null; // the survey's texts, once the form names its wave

// The survey's texts in the page's language where the wave offers it, else in
// bokmål, which every survey has.
async function loadContent() {
  if (!S.form) return;
  contentOf ||= surveyTexts(S.form.survey_id);
  const offered = lang !== 'nb' && S.languages.includes(lang);
  const [own, nb] = await Promise.all([offered ? contentOf(lang) : null, contentOf('nb')]);
  setContent(own || nb || {}, nb || {});
}

const named = (text) => (text ? (lang === 'nn' ? text.nn || text.nb : text[lang] || text.nb) : '');
const capitalised = (s) => (s ? s.charAt(0).toLocaleUpperCase('nb') + s.slice(1) : s);
const unitName = () => S.form.unit.name;
const roleName = () => named(S.form.role_name) || S.form.role;
const closed = () => Date.now() >= Date.parse(S.form.closes_at);
const qid = (q) => `q-${q.id}`;

function render(kids, title) {
  main.replaceChildren(...kids.filter(Boolean));
  const survey = S.form ? capitalised(named(S.form.name)) : t('app_title');
  document.title = `${title} – ${survey}`;
  const brand = document.querySelector('header .brand');
  if (brand && S.form) {
    brand.removeAttribute('data-key');
    brand.textContent = survey;
  }
}

function focusMain() {
  main.querySelector('h1')?.setAttribute('tabindex', '-1');
  main.querySelector('h1')?.focus();
}

// ---------- saving ----------

function status() {
  return document.getElementById('save-status');
}

function paintStatus() {
  const p = status();
  if (!p) return;
  if (S.saving) put(p, 'save.saving');
  else if (S.attempt > 0) put(p, 'save.failed');
  else if (S.saved) {
    const time = new Intl.DateTimeFormat('nb', { hour: '2-digit', minute: '2-digit', timeZone: 'Europe/Oslo' }).format(S.saved);
    put(p, 'save.saved', { time });
  } else put(p, 'save.nothing');
}

function scheduleSave(delay = SAVE_AFTER_MS) {
  S.dirty = true;
  clearTimeout(S.timer);
  S.timer = setTimeout(save, delay);
}

async function save() {
  if (S.saving || !S.dirty || closed()) return;
  S.saving = true;
  S.dirty = false;
  paintStatus();
  try {
    await sendWithToken(API, 'PUT', { answers: answersToSend(S.form.questionnaire, S.answers) }, S.token);
    S.saved = new Date();
    S.attempt = 0;
  } catch (e) {
    S.dirty = true;
    if (e.code === 'already_submitted' || e.code === 'survey_closed' || e.code === 'invalid_token') {
      S.saving = false;
      return load();
    }
    if (e.code === 'invalid_answer') showFieldError(e.field);
    S.attempt += 1;
    clearTimeout(S.timer);
    S.timer = setTimeout(save, retryDelay(S.attempt - 1, e.retryAfter));
  } finally {
    S.saving = false;
    paintStatus();
  }
  if (S.dirty && S.attempt === 0) scheduleSave();
}

function showFieldError(field) {
  const id = String(field || '').replace(/^\/answers\//, '');
  const box = document.getElementById(`q-${id}`);
  if (box) box.classList.add('has-error');
}

// ---------- questions ----------

// A question's label and, for a required one, the mark that says so.
function questionHead(q, tag, attrs) {
  return el(tag, 'q-text', attrs, [
    T('span', `q.${q.id}.text`),
    q.required ? el('span', 'req', null, [' ', T('span', 'form.required')]) : null,
  ]);
}

function optionText(q, value) {
  if (q.type === 'scale') return value === 'dont_know' ? t('opt.dont_know') : t(`scale.${q.scale}.${value}`);
  return t(`q.${q.id}.opt.${value}`);
}

function choice(q, option, readOnly) {
  const multi = q.type === 'multi';
  const current = S.answers[q.id];
  const checked = multi ? Array.isArray(current) && current.includes(option.value) : current === option.value;
  const input = el('input', null, { type: multi ? 'checkbox' : 'radio', name: q.id, value: option.value, checked, disabled: readOnly });
  input.addEventListener('change', () => {
    if (multi) S.answers[q.id] = toggle(q, S.answers[q.id], option.value, input.checked);
    else S.answers[q.id] = option.value;
    afterChange(q);
  });
  return el('label', `opt${option.value === 'dont_know' ? ' dk' : ''}`, null, [input, el('span', null, null, [optionText(q, option.value)])]);
}

function choiceQuestion(q, readOnly) {
  return el('fieldset', 'question', { id: qid(q) }, [
    questionHead(q, 'legend'),
    ...q.options.map((o) => choice(q, o, readOnly)),
  ]);
}

function textQuestion(q, readOnly) {
  const id = `in-${q.id}`;
  const counter = el('p', 'counter', { id: `${id}-count`, 'aria-live': 'polite' });
  const area = el('textarea', 'input text-answer', {
    id, name: q.id, rows: '4', maxlength: String(q.max_length), readonly: readOnly,
    'aria-describedby': `${id}-hint ${id}-count`,
  });
  area.value = S.answers[q.id] || '';
  const count = () => put(counter, 'form.counter', { n: length(area.value), max: q.max_length });
  count();
  area.addEventListener('input', () => {
    S.answers[q.id] = area.value;
    count();
    scheduleSave(1500);
  });
  area.addEventListener('blur', () => { if (S.dirty) save(); });
  return el('div', 'question field', { id: qid(q) }, [
    questionHead(q, 'label', { for: id }),
    T('p', `q.${q.id}.hint`, null, 'hint', { id: `${id}-hint` }),
    area,
    counter,
  ]);
}

// Consecutive scale questions of one matrix: one group under the matrix's
// question, each item a row of its own with the scale's answers.
function matrix(block, readOnly) {
  return el('fieldset', 'question matrix', { id: `m-${block.matrix}` }, [
    el('legend', 'q-text', null, [T('span', `matrix.${block.matrix}.text`)]),
    ...block.questions.map((q) => el('fieldset', 'matrix-row', { id: qid(q) }, [
      questionHead(q, 'legend'),
      el('div', 'matrix-opts', null, q.options.map((o) => choice(q, o, readOnly))),
    ])),
  ]);
}

function question(q, readOnly) {
  return q.type === 'text' ? textQuestion(q, readOnly) : choiceQuestion(q, readOnly);
}

// Routing may show or hide later questions: then the form is drawn again in
// place, and the focus stays on the answer just given.
function afterChange(q) {
  scheduleSave();
  document.getElementById(qid(q))?.classList.remove('has-error');
  if (shown(S.form.questionnaire, S.answers).map((x) => x.id).join() !== lastShown) {
    const focused = document.activeElement && document.activeElement.name;
    paintQuestions();
    if (focused) document.querySelector(`[name="${CSS.escape(focused)}"]:checked, [name="${CSS.escape(focused)}"]`)?.focus();
  }
}

let lastShown = '';

function paintQuestions() {
  const box = document.getElementById('questions');
  if (!box) return;
  const readOnly = closed() || S.form.status === 'submitted';
  const visible = shown(S.form.questionnaire, S.answers);
  lastShown = visible.map((q) => q.id).join();
  box.replaceChildren(...blocks(visible).map((section) => el('section', 'form-section', { 'aria-labelledby': `s-${section.id}` }, [
    T('h2', `section.${section.id}`, null, null, { id: `s-${section.id}` }),
    ...section.blocks.map((b) => (b.matrix ? matrix(b, readOnly) : question(b.questions[0], readOnly))),
  ])));
}

// ---------- views ----------

function showForm() {
  S.view = showForm;
  const f = S.form;
  const readOnly = closed();
  render([
    el('h1', null, null, [t('form.h1', { role: capitalised(roleName()), unit: unitName() })]),
    readOnly
      ? el('div', 'notice', { role: 'status' }, [T('h2', 'closed.title'), T('p', 'closed.text', { date: fmtMoment(f.closes_at) })])
      : el('div', null, null, [
        T('p', 'form.lead', { unit: unitName() }, 'lead'),
        T('p', 'form.deadline', { date: fmtMoment(f.closes_at) }, 'deadline'),
        T('p', 'form.optional_note', null, 'hint'),
      ]),
    readOnly ? null : el('p', 'save-status', { id: 'save-status', role: 'status' }),
    el('div', null, { id: 'questions' }),
    readOnly ? null : submitBox(),
  ], `${capitalised(roleName())} – ${unitName()}`);
  paintQuestions();
  paintStatus();
}

function submitBox() {
  const button = el('button', 'btn primary', { type: 'button', id: 'submit' }, [T('span', 'submit.button')]);
  const problems = el('div', 'problems', { id: 'problems', tabindex: '-1', hidden: true });
  button.addEventListener('click', () => submit(button, problems));
  return el('section', 'form-section submit', { 'aria-labelledby': 'submit-title' }, [
    T('h2', 'submit.title', null, null, { id: 'submit-title' }),
    T('p', 'submit.text'),
    problems,
    button,
  ]);
}

async function submit(button, problems) {
  const qn = S.form.questionnaire;
  const lacking = missing(qn, S.answers);
  const tooLong = shown(qn, S.answers).filter((q) => q.type === 'text' && length(S.answers[q.id]) > q.max_length);
  for (const box of document.querySelectorAll('.has-error')) box.classList.remove('has-error');
  if (lacking.length || tooLong.length) {
    const items = [...lacking, ...tooLong].map((q) => {
      document.getElementById(qid(q))?.classList.add('has-error');
      return el('li', null, null, [el('a', null, { href: `#${qid(q)}` }, [t(`q.${q.id}.text`)])]);
    });
    problems.replaceChildren(T('p', 'submit.missing', null, 'error'), el('ul', null, null, items));
    problems.hidden = false;
    problems.focus();
    return;
  }
  problems.hidden = true;
  clearTimeout(S.timer);
  button.disabled = true;
  put(button.firstChild, 'submit.sending');
  try {
    const done = await sendWithToken(`${API}/submit`, 'POST', { answers: answersToSend(qn, S.answers) }, S.token);
    S.receipt = done.receipt;
    S.form.status = 'submitted';
    showDone();
  } catch (e) {
    button.disabled = false;
    put(button.firstChild, 'submit.button');
    if (e.code === 'invalid_answer') showFieldError(e.field);
    if (['already_submitted', 'survey_closed', 'invalid_token'].includes(e.code)) return load();
    problems.replaceChildren(T('p', 'submit.failed', null, 'error'));
    problems.hidden = false;
    problems.focus();
  }
}

// What was answered, as text: a submitted form is shown, not edited.
function answerList() {
  const qn = S.form.questionnaire;
  return el('dl', 'answer-list', null, shown(qn, S.answers).flatMap((q) => {
    const a = S.answers[q.id];
    const text = a == null || a === '' || (Array.isArray(a) && !a.length)
      ? t('no_answer')
      : q.type === 'text' ? a : [].concat(a).map((v) => optionText(q, v)).join(', ');
    return [el('dt', null, null, [T('span', `q.${q.id}.text`)]), el('dd', null, null, [text])];
  }));
}

function showDone() {
  S.view = showDone;
  render([
    el('div', 'receipt', { role: 'status' }, [
      T('h1', 'done.title'),
      T('p', 'done.text', { role: roleName(), unit: unitName() }),
      S.receipt ? T('p', 'done.receipt', { receipt: S.receipt }) : null,
    ]),
    T('h2', 'done.answers'),
    answerList(),
  ], t('done.title'));
  focusMain();
}

function showProblem(kind, retry) {
  S.view = () => showProblem(kind, retry);
  const title = kind === 'invalid_token' ? 'err.invalid_token.title' : 'err.load.title';
  const text = kind === 'invalid_token' ? 'err.invalid_token.text' : 'err.load.text';
  const button = retry ? el('button', 'btn', { type: 'button' }, [T('span', 'err.retry')]) : null;
  button?.addEventListener('click', load);
  render([T('h1', title), T('p', text), button], t(title));
  focusMain();
}

async function load() {
  render([el('div', 'spinner', { 'aria-hidden': 'true' }), T('p', 'loading', null, 'sr-only', { role: 'status' })], t('loading'));
  if (!S.token) return showProblem('invalid_token', false);
  try {
    S.form = await getWithToken(API, S.token);
  } catch (e) {
    if (e.code === 'invalid_token') {
      try { sessionStorage.removeItem(TOKEN_KEY); } catch { /* nothing kept */ }
      return showProblem('invalid_token', false);
    }
    return showProblem('load', true);
  }
  S.answers = { ...S.form.answers };
  if (!S.langChosen && S.form.language && S.form.language !== lang) await useLang(S.form.language);
  S.languages = await getJSON(`/api/surveys/${encodeURIComponent(S.form.survey_id)}`)
    .then((w) => w.languages.map((l) => l.code))
    .catch(() => ['nb']);
  await loadContent();
  if (S.form.status === 'submitted') showDone();
  else showForm();
}

// The reader's own choice of language, kept on this device for the next visit.
const LANG_KEY = 'skjema-lang';
function remembered() {
  try { return localStorage.getItem(LANG_KEY); } catch { return null; }
}

async function boot() {
  chrome(pageStrings('/skjema/i18n'));
  S.token = readToken(TOKEN_KEY);
  const asked = new URLSearchParams(location.search).has('lang');
  const kept = remembered();
  // Chosen here or before: the page keeps to it; else the unit's own written form decides, once known.
  S.langChosen = asked || Boolean(kept);
  await useLang(!asked && kept ? kept : initialLang());
  document.querySelector('.lang-nav')?.addEventListener('click', (ev) => {
    const a = ev.target.closest('a[hreflang]');
    if (!a) return;
    S.langChosen = true;
    try { localStorage.setItem(LANG_KEY, a.hreflang); } catch { /* not kept */ }
  });
  onLang(async () => {
    await loadContent();
    if (S.view) S.view();
  });
  window.addEventListener('pagehide', () => { if (S.dirty) save(); });
  await load();
}

start(boot);
