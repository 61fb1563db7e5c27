// Languages, page chrome and start-up shared by /registrer/, its link pages,
// /kommune/, /resultater/, /skjema/ and /ark/: bokmål, nynorsk and English, chosen by ?lang=nb|nn|en, else by the
// browser's languages. Every translated text is a leaf element carrying
// data-key (and data-vars), so a language switch re-translates the page in
// place and keeps whatever was typed into the form.
import { t, el, setUi, setContent } from '/i18n.js';
import { getJSON } from '/api.js';

export const LANGS = [
  { code: 'nb', name: 'Bokmål' },
  { code: 'nn', name: 'Nynorsk' },
  { code: 'en', name: 'English' },
];

export let lang = 'nb';

// A loader for chrome(): the page's own strings from its i18n folder, e.g. '/registrer/i18n'.
export const pageStrings = (dir) => (code) => getJSON(`${dir}/${code}.json`).then((d) => d.strings);

// The texts of a wave's survey (/content/{survey}/i18n/{code}.json), each
// language fetched once; null for a language it has none in.
export function surveyTexts(survey) {
  const cache = {};
  return (code) => (cache[code] ||= getJSON(`/content/${encodeURIComponent(survey)}/i18n/${code}.json`)
    .then((d) => d.strings || {})
    .catch(() => { delete cache[code]; return null; }));
}

// A loader for chrome() on a page that also shows a survey's texts (question
// texts, option labels): the page's own strings from `dir`, and the survey's
// content in English for English, bokmål otherwise (nynorsk reads bokmål, as
// the questions exist in nb and en). `surveyOf()` names the survey once known.
export function pageAndSurveyStrings(dir, surveyOf) {
  const ui = pageStrings(dir);
  let content = null;
  return async (code) => {
    const survey = surveyOf();
    if (survey && !content) content = surveyTexts(survey);
    const [strings, own, nb] = await Promise.all([
      ui(code),
      survey && code === 'en' ? content('en') : null,
      survey ? content('nb') : null,
    ]);
    setContent(own || nb || {}, nb || {});
    return strings;
  };
}

// A personal link's token (`#token=T`): taken out of the address bar at once,
// and kept for this tab under `key` so a reload still works; the token never
// goes in a URL the browser sends. Null when there is none.
export function readToken(key) {
  const fromLink = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromLink) {
    try {
      sessionStorage.setItem(key, fromLink);
      history.replaceState(history.state, '', location.pathname + location.search);
    } catch { /* no storage: the token stays in the address */ }
    return fromLink;
  }
  try { return sessionStorage.getItem(key); } catch { return null; }
}

// Runs a page's boot(); when it fails, the page says so in bokmål and English
// (its #boot-error paragraph) instead of spinning for ever.
export function start(boot) {
  boot().catch(() => {
    document.getElementById('boot-error').hidden = false;
    document.getElementById('main').replaceChildren();
  });
}
let loader = null; // code -> Promise<strings>
let titleKey = null;
const listeners = [];

// fn(code) runs after every language change.
export const onLang = (fn) => { listeners.push(fn); };

export function initialLang() {
  const wanted = [new URLSearchParams(location.search).get('lang'), ...(navigator.languages || [navigator.language])];
  for (const w of wanted) {
    const base = String(w || '').toLowerCase().split('-')[0];
    if (base === 'nn') return 'nn';
    if (base === 'nb' || base === 'no') return 'nb';
    if (base === 'en') return 'en';
  }
  return 'nb';
}

// Sets the text of e to the string for key; keeps key and vars for re-translation.
export function put(e, key, vars) {
  e.dataset.key = key;
  if (vars) e.dataset.vars = JSON.stringify(vars);
  else delete e.dataset.vars;
  e.textContent = t(key, vars);
  return e;
}

// T(tag, key, vars, cls, attrs): a new element whose whole text is the string for key.
export const T = (tag, key, vars, cls, attrs) => put(el(tag, cls, attrs), key, vars);

export function retranslate(root = document) {
  for (const e of root.querySelectorAll('[data-key]')) {
    e.textContent = t(e.dataset.key, e.dataset.vars ? JSON.parse(e.dataset.vars) : undefined);
  }
  if (titleKey) document.title = t(titleKey) + ' – ' + t('app_title');
}

export function setTitle(key) {
  titleKey = key;
  document.title = t(key) + ' – ' + t('app_title');
}

export async function useLang(code) {
  const strings = await loader(code);
  setUi(strings);
  lang = code;
  document.documentElement.lang = code;
  retranslate();
  for (const a of document.querySelectorAll('.lang-nav a')) {
    if (a.hreflang === code) a.setAttribute('aria-current', 'true');
    else a.removeAttribute('aria-current');
  }
  for (const fn of listeners) fn(code);
}

// The URL of this page in another language (other parameters kept).
function hrefFor(code) {
  const u = new URL(location.href);
  u.searchParams.set('lang', code);
  return u.pathname + u.search;
}

// Fills the page header: the survey's name and the language links, and puts
// a skip link first in the page. `load(code)` returns the strings of a language.
export function chrome(load) {
  loader = load;
  const header = document.getElementById('top');
  const skip = el('a', 'skip', { href: '#main' }, [T('span', 'skip')]);
  document.body.prepend(skip);
  const list = el('ul');
  for (const l of LANGS) {
    const a = el('a', null, { href: hrefFor(l.code), lang: l.code, hreflang: l.code }, [l.name]);
    a.addEventListener('click', async (ev) => {
      ev.preventDefault();
      try {
        await useLang(l.code);
        history.replaceState(history.state, '', hrefFor(l.code));
        for (const x of document.querySelectorAll('.lang-nav a')) x.href = hrefFor(x.hreflang);
      } catch {
        location.href = a.href;
      }
    });
    list.append(el('li', null, null, [a]));
  }
  // The accessibility statement is in bokmål and English.
  const statement = T('a', 'a11y_statement', null, null, { href: '/tilgjengelighet/', hreflang: 'nb' });
  document.body.append(el('footer', 'foot', null, [statement]));
  onLang((code) => {
    statement.href = code === 'en' ? '/tilgjengelighet/en/' : '/tilgjengelighet/';
    statement.hreflang = code === 'en' ? 'en' : 'nb';
  });
  header.replaceChildren(
    T('p', 'app_title', null, 'brand'),
    el('nav', 'lang-nav', { 'aria-labelledby': 'lang-nav-label' }, [T('span', 'language', null, 'sr-only', { id: 'lang-nav-label' }), list]),
  );
}

// A moment as a date in Oslo, with the time of day unless it is midnight (an
// end at midnight means "up to and including the day before").
export function fmtMoment(iso) {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return '';
  const locale = lang === 'en' ? 'en-GB' : lang;
  const zone = { timeZone: 'Europe/Oslo' };
  try {
    const hm = new Intl.DateTimeFormat('en-GB', { ...zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(ms);
    if (hm === '00:00') return new Intl.DateTimeFormat(locale, { ...zone, dateStyle: 'long' }).format(ms - 1);
    return new Intl.DateTimeFormat(locale, { ...zone, dateStyle: 'long', timeStyle: 'short' }).format(ms);
  } catch {
    return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
  }
}

// A start (a wave opening) as a date in Oslo, with the time of day unless it
// is midnight: a start at midnight is that day, not the one before.
export function fmtStart(iso) {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return '';
  const locale = lang === 'en' ? 'en-GB' : lang;
  const zone = { timeZone: 'Europe/Oslo' };
  const hm = new Intl.DateTimeFormat('en-GB', { ...zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(ms);
  return new Intl.DateTimeFormat(locale, hm === '00:00' ? { ...zone, dateStyle: 'long' } : { ...zone, dateStyle: 'long', timeStyle: 'short' }).format(ms);
}

// Moves focus to e (made focusable if it is not) and brings it into view.
export function focusOn(e) {
  if (!e) return;
  if (!e.matches('a[href], button, input, select, textarea, [tabindex]')) e.tabIndex = -1;
  e.focus({ preventScroll: true });
  e.scrollIntoView({ block: 'center' });
}
