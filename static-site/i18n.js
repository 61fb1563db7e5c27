// Every visible text goes through txt()/t(): strings are looked up by key, and
// each text element carries data-key="<key>", which audio.js uses to put a play
// button beside each text with a clip. onText(fn): fn(element, key) runs for
// every text element created.
let ui = {};
let content = {};
let fallback = {};
const hooks = [];

export const setUi = (s) => { ui = s || {}; };
export const setContent = (s, fb) => { content = s || {}; fallback = fb || {}; };
export const onText = (fn) => { hooks.push(fn); };

export function has(key) {
  return key in content || key in ui || key in fallback;
}

// t(key, vars, def): the string for key with {name} placeholders filled in.
export function t(key, vars, def) {
  let s = content[key] ?? ui[key] ?? fallback[key] ?? def ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, n) => (n in vars ? vars[n] : m));
  return s;
}

// txt(tag, key, opts): an element whose text is the string for key.
// opts: {vars, def, cls, id, attrs}
export function txt(tag, key, opts = {}) {
  const e = el(tag, opts.cls, opts.attrs);
  if (opts.id) e.id = opts.id;
  e.dataset.key = key;
  fill(e, t(key, opts.vars, opts.def));
  for (const fn of hooks) fn(e, key);
  return e;
}

// Norwegian names that translations keep as they are; in another language's
// text they are marked lang="nb", so screen readers say them in Norwegian (WCAG 3.1.2).
const NORWEGIAN_TERMS = /(introduksjonsprogrammet)/;
// A run of Latin-script words (a name, a unit, an address) inside another script.
const LATIN_RUN = /([A-Za-z\u00C0-\u024F][\w\u00C0-\u024F'’.@-]*(?:[ \u00A0]+[A-Za-z\u00C0-\u024F0-9][\w\u00C0-\u024F'’.@-]*)*)/;

// In a right-to-left page every left-to-right run is isolated (<bdi>), so the
// punctuation around it follows the text it stands in: "(introduksjonsprogrammet)"
// keeps both brackets around the name. In other pages only Norwegian terms are marked.
function fill(e, s) {
  const lang = document.documentElement.lang;
  if (document.documentElement.dir === 'rtl') {
    e.replaceChildren(...s.split(LATIN_RUN).map((part, i) => (i % 2 ? el('bdi', null, { lang: NORWEGIAN_TERMS.test(part) ? 'nb' : null }, [document.createTextNode(part)]) : part)).filter((p) => p !== ''));
    return;
  }
  if (lang === 'nb' || lang === 'nn' || !NORWEGIAN_TERMS.test(s)) {
    e.textContent = s;
    return;
  }
  e.replaceChildren(...s.split(NORWEGIAN_TERMS).map((part, i) => (i % 2 ? el('span', null, { lang: 'nb' }, [document.createTextNode(part)]) : part)));
}

export function el(tag, cls, attrs, kids) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (attrs) for (const k in attrs) if (attrs[k] != null && attrs[k] !== false) e.setAttribute(k, attrs[k] === true ? '' : attrs[k]);
  if (kids) e.append(...kids.filter(Boolean));
  return e;
}
