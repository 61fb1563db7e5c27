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

// Left-to-right runs inside right-to-left text: names kept in Norwegian (a programme,
// a municipality such as "Herøy (Møre og Romsdal)", "St. Hanshaugen"), abbreviations
// ("PC"). A run starts with a Latin letter and goes on over further Latin words, digits
// and the punctuation between them; brackets or quotes around the whole run belong to
// it, so the "(" and ")" stay on either side of the name however the line breaks.
const WORD = String.raw`[\p{sc=Latin}\d](?:[\p{sc=Latin}\p{M}\d'’]*[\p{sc=Latin}\p{M}\d])?`;
const LATIN_WORD = String.raw`\p{sc=Latin}(?:[\p{sc=Latin}\p{M}\d'’]*[\p{sc=Latin}\p{M}\d])?`;
const WORDS = String.raw`${WORD}(?:[ \u00a0]+${WORD})*`;
const SEP = String.raw`(?:[ \u00a0]*[-–—,./&:][ \u00a0]*|[ \u00a0]+)`;
const PART = String.raw`(?:${WORD}|\(${WORDS}\))`;
const RUN = String.raw`(?:${LATIN_WORD}|\(${WORDS}\))(?:${SEP}${PART})*`;
const LTR_RUN = new RegExp(String.raw`(\(${RUN}\)|\[${RUN}\]|«${RUN}»|“${RUN}”|"${RUN}"|${RUN})`, 'u');
const RTL_SCRIPT = /[\p{sc=Arabic}\p{sc=Hebrew}\p{sc=Syriac}\p{sc=Thaana}\p{sc=Nko}\p{sc=Adlam}]/u;

// The text split into parts, every odd one a left-to-right run to isolate; a text
// without right-to-left letters is one part.
export function ltrRuns(s) {
  return RTL_SCRIPT.test(s) ? s.split(LTR_RUN) : [s];
}

function fill(e, s) {
  const parts = ltrRuns(s);
  if (parts.length > 1) {
    // <bdi dir=ltr>: the run keeps its own order and does not reorder the text around it.
    e.replaceChildren(...parts.map((part, i) => (i % 2
      ? el('bdi', null, { dir: 'ltr', lang: NORWEGIAN_TERMS.test(part) ? 'nb' : null }, [document.createTextNode(part)])
      : part)).filter((part) => part !== ''));
    return;
  }
  const lang = document.documentElement.lang;
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
