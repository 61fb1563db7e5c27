// The pages behind the single-use links in registration e-mails, chosen by
// <body data-link>:
//   verify   /registrer/bekreft/?token=T   a contact person confirms their e-mail address
//   approve  /registrer/godkjenn/?token=T  a verified contact approves a new colleague
// The token is spent only when the person presses the button, never on page
// load, so that link scanners that fetch the page do not use it up.
import { el } from '/i18n.js';
import { getJSON } from '/api.js';
import { T, chrome, useLang, initialLang, setTitle, focusOn, lang, pageStrings, start } from '/registrer/lang.js';

// What each link calls, what its page says before the press, and which 409
// answers (the token is spent) it can get.
const LINKS = {
  verify: {
    api: '/api/registrations/verify',
    title: 'ver.title',
    text: ['ver.text'],
    button: 'ver.button',
    busy: 'ver.busy',
    expired: 'ver.err.expired',
    conflicts: { too_many_contacts: ['link.full.title', 'ver.err.full'] },
    registerLink: true,
  },
  approve: {
    api: '/api/registrations/approve',
    title: 'appr.title',
    text: ['appr.text', 'appr.stranger'],
    button: 'appr.button',
    busy: 'appr.busy',
    expired: 'appr.err.expired',
    conflicts: {
      too_many_contacts: ['link.full.title', 'appr.err.full'],
      not_confirmed: ['appr.not_confirmed.title', 'appr.err.not_confirmed'],
    },
    registerLink: false,
  },
};

// The page after a successful press: [heading, [paragraph key, uses {unit}]..., box style].
// A person still waiting gets a box in the colours of something under way, not
// the green of something done. `unknown` is for an answer without a usable
// body: the press worked, the details are unknown.
const OUTCOMES = {
  verify: {
    verified: ['ver.ok.title', [['ver.ok.text', true]]],
    awaiting_approval: ['ver.wait.title', [['ver.wait.text', true], ['ver.wait.who', true], ['ver.wait.mail', false]], 'pending'],
    unknown: ['ver.ok.title', [['ver.ok.text_nounit', false]]],
  },
  approve: {
    verified: ['appr.ok.title', [['appr.ok.text', true], ['appr.ok.told', true]]],
    unknown: ['appr.ok.title', [['appr.ok.text_nounit', false]]],
  },
};

const main = document.getElementById('main');
const kind = document.body.dataset.link;
const link = LINKS[kind];
const token = new URLSearchParams(location.search).get('token') || '';

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

function showError(titleKey, key) {
  const kids = [T('h1', titleKey), T('p', key, null, 'warn')];
  if (link.registerLink) kids.push(el('div', 'nav', null, [el('a', 'btn', { href: `/registrer/?lang=${lang}` }, [T('span', 'ver.register')])]));
  render(kids);
}

function showOutcome(answer) {
  const unit = answer && answer.unit && answer.unit.name;
  const table = OUTCOMES[kind];
  const [title, paragraphs, style] = (unit && Object.hasOwn(table, answer.status) && table[answer.status]) || table.unknown;
  const texts = paragraphs.map(([key, withUnit]) => T('p', key, withUnit ? { unit } : null));
  render([T('h1', title), el('div', style ? `confirm ${style}` : 'confirm', null, texts), T('p', 'link.close')]);
}

function showButton() {
  const ids = link.text.map((_, i) => `link-text-${i}`);
  const texts = link.text.map((key, i) => T('p', key, null, i === 0 ? 'lead' : null, { id: ids[i] }));
  const status = el('div', 'status-line', { role: 'status', id: 'link-status' });
  const button = el('button', 'btn primary big', { type: 'button', 'aria-describedby': [...ids, 'link-status'].join(' ') }, [T('span', link.button)]);
  let busy = false;
  button.onclick = async () => {
    if (busy) return;
    busy = true;
    button.setAttribute('aria-disabled', 'true');
    status.replaceChildren(T('p', link.busy));
    try {
      const answer = await getJSON(`${link.api}?token=${encodeURIComponent(token)}`);
      forgetToken();
      showOutcome(answer);
    } catch (e) {
      const conflict = e.status === 409 && Object.hasOwn(link.conflicts, e.code) && link.conflicts[e.code];
      if (e.code === 'bad_response' && e.status === 200) { forgetToken(); return showOutcome(null); }
      if (conflict) { forgetToken(); return showError(...conflict); }
      if (e.status === 400 || e.status === 404) { forgetToken(); return showError('link.err.title', 'link.err.invalid'); }
      if (e.status === 410) { forgetToken(); return showError('link.err.title', link.expired); }
      const key = e.status === 429 ? 'link.err.rate_limited' : e.status === 0 ? 'link.err.network' : 'link.err.server';
      status.replaceChildren(T('p', key, null, 'warn'));
    } finally {
      busy = false;
      button.removeAttribute('aria-disabled');
    }
  };
  render([T('h1', link.title), ...texts, button, status], button);
}

async function boot() {
  if (!link) throw new Error(`unknown data-link ${kind}`);
  chrome(pageStrings('/registrer/i18n'));
  try {
    await useLang(initialLang());
  } catch {
    await useLang('nb');
  }
  if (!token.trim()) return showError('link.err.title', 'link.err.missing');
  showButton();
}

start(boot);
