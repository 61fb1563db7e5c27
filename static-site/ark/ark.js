// /ark/?code=CODE&unit=NAME: a printable A4 sheet for the classroom with the
// participant link, its QR code (made here, in the browser) and the access
// code, with the participants' steps in Norwegian and English. Below it, on
// screen only, the participants' invitation by SMS and e-mail in the language
// the contact person picks, with the link and code filled in, ready to copy.
import { el, t } from '/i18n.js';
import { T, chrome, useLang, initialLang, onLang, setTitle, lang } from '/registrer/lang.js';
import { encode, toSvg } from '/ark/qr.js';
import S from '/ark/strings.js';

const main = document.getElementById('main');
const params = new URLSearchParams(location.search);
const rawCode = (params.get('code') || '').trim();
const unit = (params.get('unit') || '').trim().slice(0, 100);
// Letters, digits, spaces and hyphens, as the e-mail gives it (XXXX-XXXX-XXX).
const CODE = /^[0-9A-Za-z][0-9A-Za-z -]{2,38}[0-9A-Za-z]$/;

// A text in a given language, marked with that language.
const say = (tag, l, key, cls) => el(tag, cls, { lang: l }, [S[l][key]]);

// "Tilgangskode / Access code": the sheet's labels in Norwegian and English.
function both(tag, key, no, cls) {
  return el(tag, cls, null, [say('span', no, key), ' / ', say('span', 'en', key)]);
}

function steps(l) {
  return el('section', 'steps-' + l, { lang: l, 'aria-labelledby': 'steps-' + l }, [
    el('h2', null, { id: 'steps-' + l }, [S[l]['sheet.steps.title']]),
    el('ol', null, null, ['open', 'language', 'headphones', 'anonymous'].map((k) => el('li', null, null, [S[l]['sheet.step.' + k]]))),
  ]);
}

// The invitation's language is kept when the page's own language changes.
let inviteLang = 'nb';
let languages = null; // [{code, native_name, dir}] from /i18n/languages.json
const fill = (s, vars) => s.replace(/\{(\w+)\}/g, (m, n) => (n in vars ? vars[n] : m));

async function getJson(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return res.json();
}

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
    const texts = (await getJson(`/i18n/${l.code}.json`)).strings;
    inviteLang = l.code;
    const vars = { link, code };
    sms.value = fill(texts['invite.sms'], vars);
    subject.value = fill(texts['invite.email.subject'], vars);
    email.value = fill(texts['invite.email.body'], vars);
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

function showSheet() {
  const code = rawCode.toUpperCase();
  const link = `${location.origin}/?code=${encodeURIComponent(code)}`;
  const no = lang === 'nn' ? 'nn' : 'nb';
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

  main.replaceChildren(
    el('div', 'tools', null, [T('p', 'sheet.tools'), el('div', 'nav', null, buttons), status]),
    el('article', 'sheet', { 'aria-labelledby': 'sheet-title' }, [
      el('h1', null, { id: 'sheet-title', tabindex: '-1' }, [say('span', no, 'sheet.title'), el('span', 'sub', null, [say('span', 'en', 'sheet.title')])]),
      unit ? el('p', 'unit-name', { translate: 'no' }, [unit]) : null,
      el('div', 'qr-box', null, [svg]),
      both('p', 'sheet.code', no, 'k'),
      el('p', 'code', { translate: 'no', id: 'code' }, [code]),
      both('p', 'sheet.link', no, 'k'),
      el('p', 'link', { translate: 'no' }, [el('a', null, { href: link, id: 'link' }, [link])]),
      el('div', 'steps', null, [steps(no), steps('en')]),
    ]),
    invitation(link, code),
  );
  setTitle('sheet.page_title');
  if (unit) document.title = `${t('sheet.page_title')} – ${unit}`;
}

// No usable code in the link: ask for it.
function showAsk(key) {
  const code = el('input', 'input plain', { id: 'f-code', name: 'code', type: 'text', autocomplete: 'off', autocapitalize: 'characters', spellcheck: 'false', maxlength: '40', required: true, value: rawCode });
  const unitIn = el('input', 'input plain', { id: 'f-unit', name: 'unit', type: 'text', autocomplete: 'off', maxlength: '100', value: unit });
  const form = el('form', 'stack', { method: 'get', action: '/ark/' }, [
    el('input', null, { type: 'hidden', name: 'lang', value: lang }),
    el('div', 'field', null, [el('label', 'label', { for: 'f-code' }, [T('span', 'sheet.form.code')]), code]),
    el('div', 'field', null, [el('label', 'label', { for: 'f-unit' }, [T('span', 'sheet.form.unit')]), unitIn]),
    el('div', 'nav', null, [el('button', 'btn primary', { type: 'submit' }, [T('span', 'sheet.form.show')])]),
  ]);
  onLang(() => { form.querySelector('input[name=lang]').value = lang; });
  main.replaceChildren(T('h1', 'sheet.page_title'), T('p', key, null, 'warn', { id: 'ask-why' }), form);
  code.setAttribute('aria-describedby', 'ask-why');
  setTitle('sheet.page_title');
}

const render = () => (CODE.test(rawCode) ? showSheet() : showAsk(rawCode ? 'sheet.bad_code' : 'sheet.missing'));

async function boot() {
  chrome((code) => Promise.resolve(S[code]));
  languages = await getJson('/i18n/languages.json');
  await useLang(initialLang());
  render();
  // The sheet has no state to keep: a language change draws it again.
  onLang(() => { if (CODE.test(rawCode)) showSheet(); });
}

boot().catch(() => {
  document.getElementById('boot-error').hidden = false;
  main.replaceChildren();
});
