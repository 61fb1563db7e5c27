// /ark/?survey=S&unit=NAME#code=CODE: a printable A4 sheet for the classroom
// with the participant link, its QR code (made here, in the browser), the
// access code and the last day to answer, with the participants' steps in
// Norwegian and in a second language the contact person picks from all the
// survey's languages, and which languages have sound. Below it, on screen
// only, the participants' invitation by SMS and e-mail in the language the
// contact person picks, with the link and code filled in, ready to copy.
//
// The code comes in the fragment (#code=), which a browser never sends, so it
// stays out of server and CDN logs; ?code= still works for older links.
import { el, t } from '/i18n.js';
import { T, chrome, useLang, initialLang, onLang, setTitle, lang, start, surveyTexts } from '/registrer/lang.js';
import { getJSON } from '/api.js';
import { encode, toSvg } from '/ark/qr.js';
import S from '/ark/strings.js';

const main = document.getElementById('main');
const params = new URLSearchParams(location.search);
const fragment = new URLSearchParams(location.hash.slice(1));
const rawCode = (fragment.get('code') || params.get('code') || '').trim();
const unit = (params.get('unit') || '').trim().slice(0, 100);
// Letters, digits, spaces and hyphens, as the e-mail gives it (XXXX-XXXX-XXX).
const CODE = /^[0-9A-Za-z][0-9A-Za-z -]{2,38}[0-9A-Za-z]$/;
const SURVEY = /^[0-9A-Za-z_-]{1,40}$/;
// Languages the sheet can show beside Norwegian: every survey language but bokmål and nynorsk.
const NORWEGIAN = ['nb', 'nn'];

let surveyId = null;
let wave = null; // GET /api/surveys/{id}, when it could be loaded
let coverage = null; // {lang: {sound, voice}} from content/{survey}/audio/coverage.json, or null
let sheetLang = 'en';
const texts = {}; // code -> the page's texts in that language (/i18n/{code}.json)

// Whether the wave has its own texts in a language (unknown without the wave: then try).
const offered = (code) => !wave || wave.languages.some((l) => l.code === code);

// The page's texts of a language, loaded once. The survey's own texts come
// first, as on the survey page: a survey may word its title (`ui.app_title`)
// and the invitations (`invite.*`) its own way.
let surveyOf = null; // the wave's own texts, once the wave is known
async function textsOf(code) {
  if (!texts[code]) {
    surveyOf ||= surveyTexts(surveyId);
    const [page, own] = await Promise.all([getJSON(`/i18n/${code}.json`), offered(code) ? surveyOf(code) : null]);
    texts[code] = { ...page.strings, ...(own || {}) };
  }
  return texts[code];
}

const dirOf = (code) => (languages.find((l) => l.code === code) || {}).dir || 'ltr';

// A text in a given language, marked with that language and its direction.
const say = (tag, l, key, cls) => el(tag, cls, { lang: l, dir: dirOf(l) }, [texts[l][key]]);

// "Tilgangskode / Access code": a label in Norwegian and in the sheet's second language.
function both(tag, key, no, cls) {
  return el(tag, cls, null, [say('span', no, key), ' / ', say('span', sheetLang, key)]);
}

// The last day answers are taken (the close is exclusive), as a Norwegian date in Oslo.
function lastDay(closesAt) {
  const ms = Date.parse(closesAt);
  if (!Number.isFinite(ms)) return null;
  return new Intl.DateTimeFormat('nb-NO', { timeZone: 'Europe/Oslo', day: '2-digit', month: '2-digit', year: 'numeric' }).format(ms - 1);
}

// The participants' steps in one language. The step about sound says only
// what coverage.json says: headphones where the language has sound, a plain
// "no sound yet" where it has none, nothing where nothing is known.
function steps(l) {
  const sound = coverage && coverage[l] ? coverage[l].sound : null;
  const keys = ['sheet.step.open', 'sheet.step.language'];
  if (sound === 'voice' || sound === 'close_voice') keys.push('sheet.step.headphones');
  if (sound === 'none') keys.push('sheet.step.no_sound');
  keys.push('ui.intro.anonymous');
  return el('section', 'steps-' + l, { lang: l, dir: dirOf(l), 'aria-labelledby': 'steps-' + l }, [
    el('h2', null, { id: 'steps-' + l }, [texts[l]['sheet.steps.title']]),
    el('ol', null, null, keys.map((k) => el('li', null, { 'data-step': k }, [texts[l][k]]))),
  ]);
}

// The languages with sound, by their own names; a close voice is named after it.
function soundList(no) {
  if (!coverage) return null;
  const items = languages.filter((l) => coverage[l.code] && coverage[l.code].sound !== 'none').map((l) => {
    const c = coverage[l.code];
    const voice = c.sound === 'close_voice' && languages.find((x) => x.code === c.voice);
    return el('li', null, { lang: l.code, dir: l.dir, 'data-lang': l.code }, [l.native_name, voice ? ` (${voice.native_name})` : '']);
  });
  if (!items.length) return null;
  return el('div', 'sound', null, [both('p', 'sheet.sound', no, 'k'), el('ul', 'sound-list', { id: 'sound-list' }, items)]);
}

// The invitation's language is kept when the page's own language changes.
let inviteLang = 'nb';
let languages = []; // [{code, native_name, dir}] from /i18n/languages.json
const fill = (s, vars) => s.replace(/\{(\w+)\}/g, (m, n) => (n in vars ? vars[n] : m));

// A read-only text with a label, in the invitation's language.
function field(id, key, tag, attrs) {
  const box = el(tag, 'input plain invite-text', { id, readonly: true, ...attrs });
  return [el('label', 'label', { for: id }, [T('span', key)]), box];
}

function copyButton(key, source, status) {
  if (!(navigator.clipboard && window.isSecureContext)) return null;
  const b = el('button', 'btn', { type: 'button' }, [T('span', key)]);
  b.onclick = async () => {
    try {
      await navigator.clipboard.writeText(source());
      status.replaceChildren(T('span', 'sheet.invite.copied'));
    } catch { /* nothing copied, nothing said */ }
  };
  return b;
}

// The SMS and the e-mail to participants, from the page's texts in every language.
function invitation(link, code) {
  const select = el('select', 'input plain', { id: 'invite-lang' });
  for (const l of languages) {
    select.append(el('option', null, { value: l.code, lang: l.code, selected: l.code === inviteLang }, [l.native_name]));
  }
  const [smsLabel, sms] = field('invite-sms', 'sheet.invite.sms', 'textarea', { rows: '4' });
  const [subjectLabel, subject] = field('invite-subject', 'sheet.invite.subject', 'input', { type: 'text' });
  const [emailLabel, email] = field('invite-email', 'sheet.invite.email', 'textarea', { rows: '9' });
  const mailto = el('a', null, { id: 'invite-mailto', href: 'mailto:' }, [T('span', 'sheet.invite.mailto')]);
  const status = el('p', 'copied', { role: 'status' });
  const show = async () => {
    const l = languages.find((x) => x.code === select.value) || languages[0];
    const strings = await textsOf(l.code);
    inviteLang = l.code;
    const vars = { link, code };
    sms.value = fill(strings['invite.sms'], vars);
    subject.value = fill(strings['invite.email.subject'], vars);
    email.value = fill(strings['invite.email.body'], vars);
    mailto.href = `mailto:?subject=${encodeURIComponent(subject.value)}&body=${encodeURIComponent(email.value)}`;
    for (const box of [sms, subject, email]) {
      box.lang = l.code;
      box.dir = l.dir;
    }
    status.replaceChildren();
  };
  select.onchange = () => show().catch(() => status.replaceChildren(T('span', 'sheet.invite.failed')));
  const section = el('section', 'tools invite stack', { 'aria-labelledby': 'invite-title' }, [
    T('h2', 'sheet.invite.title', null, null, { id: 'invite-title' }),
    T('p', 'sheet.invite.lead'),
    el('div', 'field', null, [el('label', 'label', { for: 'invite-lang' }, [T('span', 'sheet.invite.lang')]), select]),
    el('div', 'field', null, [smsLabel, sms]),
    el('div', 'nav', null, [copyButton('sheet.invite.copy_sms', () => sms.value, status)]),
    el('div', 'field', null, [subjectLabel, subject]),
    el('div', 'field', null, [emailLabel, email]),
    el('div', 'nav', null, [copyButton('sheet.invite.copy_email', () => email.value, status), mailto]),
    status,
  ]);
  show().catch(() => status.replaceChildren(T('span', 'sheet.invite.failed')));
  return section;
}

// The picker of the sheet's second language (on screen only).
function sheetLangPicker() {
  const select = el('select', 'input plain', { id: 'sheet-lang' });
  for (const l of languages.filter((x) => !NORWEGIAN.includes(x.code))) {
    select.append(el('option', null, { value: l.code, lang: l.code, selected: l.code === sheetLang }, [l.native_name]));
  }
  select.onchange = async () => {
    const wanted = select.value;
    await textsOf(wanted);
    sheetLang = wanted;
    const u = new URL(location.href);
    u.searchParams.set('sheet_lang', wanted);
    history.replaceState(history.state, '', u.pathname + u.search + u.hash);
    await showSheet();
    document.getElementById('sheet-lang').focus();
  };
  return el('div', 'field', null, [el('label', 'label', { for: 'sheet-lang' }, [T('span', 'sheet.lang2')]), select]);
}

async function showSheet() {
  const code = rawCode.toUpperCase();
  const link = `${location.origin}/?code=${encodeURIComponent(code)}`;
  const no = lang === 'nn' ? 'nn' : 'nb';
  await Promise.all([textsOf(no), textsOf(sheetLang)]);
  const svg = toSvg(encode(link), t('sheet.qr'));
  svg.classList.add('qr');

  const status = el('p', 'copied', { role: 'status' });
  const print = el('button', 'btn primary', { type: 'button' }, [T('span', 'sheet.print')]);
  print.onclick = () => window.print();
  const buttons = [print];
  if (navigator.clipboard && window.isSecureContext) {
    const copy = el('button', 'btn', { type: 'button' }, [T('span', 'sheet.copy')]);
    copy.onclick = async () => {
      try {
        await navigator.clipboard.writeText(link);
        status.replaceChildren(T('span', 'sheet.copied'));
      } catch { /* nothing copied, nothing said */ }
    };
    buttons.push(copy);
  }
  const day = wave && lastDay(wave.closes_at);

  main.replaceChildren(
    el('div', 'tools', null, [T('p', 'sheet.tools'), sheetLangPicker(), el('div', 'nav', null, buttons), status]),
    el('article', 'sheet', { 'aria-labelledby': 'sheet-title' }, [
      el('h1', null, { id: 'sheet-title', tabindex: '-1' }, [say('span', no, 'ui.app_title'), el('span', 'sub', null, [say('span', sheetLang, 'ui.app_title')])]),
      unit ? el('p', 'unit-name', { translate: 'no' }, [unit]) : null,
      el('div', 'qr-box', null, [svg]),
      both('p', 'ui.code.label', no, 'k'),
      el('p', 'code', { translate: 'no', id: 'code' }, [code]),
      both('p', 'sheet.link', no, 'k'),
      el('p', 'link', { translate: 'no' }, [el('a', null, { href: link, id: 'link' }, [link])]),
      day ? both('p', 'sheet.last_day', no, 'k') : null,
      day ? el('p', 'last-day', { id: 'last-day' }, [el('time', null, { datetime: wave.closes_at }, [day])]) : null,
      el('div', 'steps', null, [steps(no), steps(sheetLang)]),
      soundList(no),
    ]),
    invitation(link, code),
  );
  setTitle('sheet.page_title');
  if (unit) document.title = `${t('sheet.page_title')} – ${unit}`;
}

// No usable code in the link: ask for it.
// The address of the sheet with the code in the fragment, where no server sees it.
function sheetHref(code, unitName) {
  const q = new URLSearchParams({ survey: surveyId, lang });
  if (unitName) q.set('unit', unitName);
  if (sheetLang !== 'en') q.set('sheet_lang', sheetLang);
  return `/ark/?${q}#${new URLSearchParams({ code })}`;
}

function showAsk(key) {
  const code = el('input', 'input plain', { id: 'f-code', name: 'code', type: 'text', autocomplete: 'off', autocapitalize: 'characters', spellcheck: 'false', maxlength: '40', required: true, value: rawCode });
  const unitIn = el('input', 'input plain', { id: 'f-unit', name: 'unit', type: 'text', autocomplete: 'off', maxlength: '100', value: unit });
  const form = el('form', 'stack', null, [
    el('div', 'field', null, [el('label', 'label', { for: 'f-code' }, [T('span', 'sheet.form.code')]), code]),
    el('div', 'field', null, [el('label', 'label', { for: 'f-unit' }, [T('span', 'sheet.form.unit')]), unitIn]),
    el('div', 'nav', null, [el('button', 'btn primary', { type: 'submit' }, [T('span', 'sheet.form.show')])]),
  ]);
  // The code goes into the fragment, not the query: a form's GET would send it to the server.
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    location.assign(sheetHref(code.value.trim(), unitIn.value.trim()));
  });
  main.replaceChildren(T('h1', 'sheet.page_title'), T('p', key, null, 'warn', { id: 'ask-why' }), form);
  code.setAttribute('aria-describedby', 'ask-why');
  setTitle('sheet.page_title');
}

const render = () => (CODE.test(rawCode) ? showSheet() : showAsk(rawCode ? 'sheet.bad_code' : 'sheet.missing'));

// coverage.json as {lang: {sound, voice}}, or null when it is missing or not of its shape.
async function loadCoverage(id) {
  try {
    const c = await getJSON(`/content/${encodeURIComponent(id)}/audio/coverage.json`);
    if (c.survey_id !== id || !Array.isArray(c.languages)) return null;
    const out = {};
    for (const l of c.languages) {
      if (l && typeof l.lang === 'string' && ['voice', 'close_voice', 'none'].includes(l.sound)) out[l.lang] = { sound: l.sound, voice: l.voice };
    }
    return out;
  } catch {
    return null;
  }
}

async function boot() {
  chrome((code) => Promise.resolve(S[code]));
  const wanted = params.get('survey');
  [languages, surveyId] = await Promise.all([
    getJSON('/i18n/languages.json'),
    wanted && SURVEY.test(wanted) ? wanted : getJSON('/config.json').then((c) => c.survey_id),
  ]);
  const second = params.get('sheet_lang');
  if (second && !NORWEGIAN.includes(second) && languages.some((l) => l.code === second)) sheetLang = second;
  // Without the wave or coverage.json the sheet leaves out the last day or the sound, rather than guess.
  [wave, coverage] = await Promise.all([
    getJSON(`/api/surveys/${encodeURIComponent(surveyId)}`).catch(() => null),
    loadCoverage(surveyId),
    useLang(initialLang()),
  ]);
  // A code that came in the query (older links) moves to the fragment, so a
  // bookmark or a copied address no longer sends it.
  if (params.has('code') && CODE.test(rawCode)) history.replaceState(history.state, '', sheetHref(rawCode, unit));
  await render();
  // A language change draws the sheet again; the picked languages are kept.
  onLang(() => { if (CODE.test(rawCode)) showSheet(); });
}

start(boot);
