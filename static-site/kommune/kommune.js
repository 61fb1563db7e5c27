// /kommune/?survey=S: the front door for municipalities and Oslo's city
// districts. What the survey is, the wave's dates (from GET /api/surveys/{S}),
// and links to registration, the classroom sheet, the demo, results, the
// public key figures and help,
// each carrying the wave. Without ?survey= the wave is the one in /config.json;
// other waves that take registrations are linked too.
import { el } from '/i18n.js';
import { getJSON } from '/api.js';
import { T, put, chrome, useLang, initialLang, onLang, setTitle, fmtMoment, fmtStart, lang, pageStrings, start } from '/registrer/lang.js';

const main = document.getElementById('main');
const enc = encodeURIComponent;
const IMDI_EMAIL = 'post@imdi.no';

// A paragraph whose text is re-made on every language change (dates are formatted per language).
function live(tag, cls, paint) {
  const e = el(tag, cls);
  paint(e);
  onLang(() => paint(e));
  return e;
}

function dates(wave) {
  const row = (key, iso, fmt = fmtMoment) => [T('dt', key), live('dd', null, (e) => { e.textContent = fmt(iso); })];
  return el('dl', 'dates', null, [
    ...row('front.dates.deadline', wave.registration_deadline),
    ...row('front.dates.opens', wave.opens_at, fmtStart),
    ...row('front.dates.closes', wave.closes_at),
  ]);
}

// One way in: a heading, what it is for, and the link.
function door(id, key, href, vars) {
  return el('section', 'door', { 'aria-labelledby': id }, [
    T('h2', `front.${key}.title`, null, null, { id }),
    T('p', `front.${key}.text`, vars),
    el('p', 'go', null, [el('a', null, { href, id: id + '-link' }, [T('span', `front.${key}.link`)])]),
  ]);
}

function show(surveyId, wave, others) {
  const q = (path, extra = '') => `${path}?survey=${enc(surveyId)}${extra}`;
  const withLang = () => `&lang=${lang}`;
  const kids = [T('h1', 'front.title'), T('p', 'front.lead', null, 'lead')];
  if (wave) {
    kids.push(T('p', `front.status.${wave.status}`, { survey: surveyId }, 'deadline', { id: 'wave-status' }), dates(wave));
  } else {
    kids.push(T('p', 'front.unknown', { survey: surveyId }, 'warn', { id: 'wave-status' }));
  }
  if (others.length) {
    kids.push(el('div', 'other-waves', null, [
      T('p', 'front.others'),
      el('ul', null, null, others.map((w) => el('li', null, null, [
        el('a', null, { href: `/kommune/?survey=${enc(w.survey_id)}&lang=${lang}` }, [w.survey_id]), ' ',
        live('span', null, (e) => put(e, 'front.others.deadline', { date: fmtMoment(w.registration_deadline) })),
      ]))),
    ]));
  }
  const register = door('register', 'register', q('/registrer/', withLang()));
  const sheet = door('sheet', 'sheet', q('/ark/', withLang()));
  const results = door('results', 'results', q('/resultater/'), { n: wave ? wave.min_respondents : 10 });
  const mail = el('a', null, { href: `mailto:${IMDI_EMAIL}`, id: 'help-mail' }, [IMDI_EMAIL]);
  kids.push(
    register,
    sheet,
    door('demo', 'demo', '/?demo=1'),
    results,
    door('keyfigures', 'keyfigures', `/nokkeltall/?lang=${lang}`),
    el('section', 'door', { 'aria-labelledby': 'help' }, [
      T('h2', 'front.help.title', null, null, { id: 'help' }),
      T('p', 'front.help.how'),
      el('ol', 'how', null, ['register', 'confirm', 'code', 'answer', 'results'].map((k) => T('li', `front.help.step.${k}`))),
      el('p', null, null, [T('span', 'front.help.contact'), ' ', mail, '.']),
    ]),
  );
  main.replaceChildren(...kids);
  main.querySelector('h1').tabIndex = -1;
  setTitle('front.title');
  // Links that carry the page's language follow a language change.
  onLang(() => {
    register.querySelector('a').href = q('/registrer/', withLang());
    sheet.querySelector('a').href = q('/ark/', withLang());
    document.getElementById('keyfigures-link').href = `/nokkeltall/?lang=${lang}`;
  });
}

async function boot() {
  chrome(pageStrings('/kommune/i18n'));
  await useLang(initialLang());
  const named = new URLSearchParams(location.search).get('survey');
  const surveyId = named || (await getJSON('/config.json')).survey_id;
  const [wave, open] = await Promise.all([
    getJSON(`/api/surveys/${enc(surveyId)}`).catch(() => null),
    getJSON('/api/surveys?registration=open').then((d) => d.surveys).catch(() => []),
  ]);
  show(surveyId, wave, (Array.isArray(open) ? open : []).filter((w) => w.survey_id !== surveyId));
}

start(boot);
