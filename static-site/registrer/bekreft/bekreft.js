// /registrer/bekreft/?token=T: a contact person confirms their e-mail address.
// The single-use token is spent only when the person presses the button, never
// on page load, so that link scanners that fetch the page do not use it up.
import { el } from '/i18n.js';
import { getJSON } from '/api.js';
import { T, chrome, useLang, initialLang, setTitle, focusOn, lang } from '/registrer/lang.js';

const main = document.getElementById('main');
const token = new URLSearchParams(location.search).get('token') || '';
const loadStrings = (code) => getJSON(`/registrer/i18n/${code}.json`).then((d) => d.strings);

function render(kids, focus) {
  main.replaceChildren(...kids);
  const h = main.querySelector('h1');
  h.tabIndex = -1;
  setTitle(h.dataset.key);
  focusOn(focus || h);
}

// The token has done its work (or cannot): keep it out of the address bar and history.
function forgetToken() {
  const u = new URL(location.href);
  u.searchParams.delete('token');
  history.replaceState(null, '', u.pathname + u.search);
}

const registerLink = () => el('div', 'nav', null, [el('a', 'btn', { href: `/registrer/?lang=${lang}` }, [T('span', 'ver.register')])]);

function showError(key) {
  render([T('h1', 'ver.err.title'), T('p', key, null, 'warn'), registerLink()]);
}

function showConfirm() {
  const text = T('p', 'ver.text', null, 'lead', { id: 'ver-text' });
  const status = el('div', 'status-line', { role: 'status', id: 'ver-status' });
  const button = el('button', 'btn primary big', { type: 'button', 'aria-describedby': 'ver-text ver-status' }, [T('span', 'ver.button')]);
  let busy = false;
  button.onclick = async () => {
    if (busy) return;
    busy = true;
    button.setAttribute('aria-disabled', 'true');
    status.replaceChildren(T('p', 'ver.busy'));
    try {
      const r = await getJSON(`/api/registrations/verify?token=${encodeURIComponent(token)}`);
      forgetToken();
      showOk(r.unit && r.unit.name);
    } catch (e) {
      if (e.code === 'bad_response' && e.status === 200) { forgetToken(); return showOk(null); }
      if (e.status === 400 || e.status === 404) { forgetToken(); return showError('ver.err.invalid'); }
      if (e.status === 410) { forgetToken(); return showError('ver.err.expired'); }
      const key = e.status === 429 ? 'ver.err.rate_limited' : e.status === 0 ? 'ver.err.network' : 'ver.err.server';
      status.replaceChildren(T('p', key, null, 'warn'));
    } finally {
      busy = false;
      button.removeAttribute('aria-disabled');
    }
  };
  render([T('h1', 'ver.title'), text, button, status], button);
}

function showOk(unit) {
  render([
    T('h1', 'ver.ok.title'),
    el('div', 'confirm', null, [unit ? T('p', 'ver.ok.text', { unit }) : T('p', 'ver.ok.text_nounit')]),
    T('p', 'ver.ok.close'),
  ]);
}

async function boot() {
  chrome(loadStrings);
  try {
    await useLang(initialLang());
  } catch {
    await useLang('nb');
  }
  if (!token.trim()) return showError('ver.err.missing');
  showConfirm();
}

boot().catch(() => {
  document.getElementById('boot-error').hidden = false;
  main.replaceChildren();
});
