// /kommuneundersokelse/?survey=S: the municipal survey's public results, once
// the wave has closed: participation, the key findings as sentences, and every
// question's figures for the nation, a county or a size band.
// /kommuneundersokelse/#token=T (a leader's personal link): the unit's own
// answers beside the nation's, its county's and its size band's figures. The
// token comes in the address's fragment, so it never reaches a server log; the
// page keeps it for the tab's session.
import { el, setContent, t } from '/i18n.js';
import { ApiError, getJSON, getWithToken } from '/api.js';
import { T, chrome, initialLang, lang, onLang, pageStrings, readToken, start, surveyTexts, useLang } from '/registrer/lang.js';
import { byRole, contrast, isWithheld, percent, rows, sentence, shareWords } from '/kommuneundersokelse/logic.js';

const TOKEN_KEY = 'kommuneundersokelse-token';
const main = document.getElementById('main');

const S = {
  survey: null,
  report: null, // GET /api/org-results/{survey}
  view: null, // GET /api/org-responses/current/results, with a token
  questionnaire: null,
  area: 'NO',
  languages: ['nb'],
};

let contentOf = null;

// The survey's texts in the page's language where the wave offers it, else in bokmål.
async function loadContent() {
  contentOf ||= surveyTexts(S.survey);
  const offered = lang !== 'nb' && S.languages.includes(lang);
  const [own, nb] = await Promise.all([offered ? contentOf(lang) : null, contentOf('nb')]);
  setContent(own || nb || {}, nb || {});
}

const fmt = (n) => new Intl.NumberFormat(lang === 'en' ? 'en-GB' : 'nb-NO').format(n);
const areaOf = (id) => S.report?.areas.find((a) => a.id === id);

function optionLabel(q, value) {
  if (q.type === 'scale') return value === 'dont_know' ? t('opt.dont_know') : t(`scale.${q.scale}.${value}`);
  return t(`q.${q.id}.opt.${value}`);
}

// What a withheld figure says in words.
function withheldText(figure) {
  return figure.reason === 'protects_others'
    ? t('withheld.protects')
    : t('withheld.few', { min: S.report?.min_units ?? 3 });
}

function areaName(area) {
  if (!area) return '';
  if (area.level === 'nation') return t('area.nation');
  if (area.level === 'size_band') return t(`band.${area.id}`);
  return area.name;
}

// ---------- the public report ----------

function participation() {
  const p = S.report.participation;
  return el('p', 'lead', null, [t('participation', {
    answered: fmt(p.at_least_one_part),
    invited: fmt(p.invited),
    percent: percent(p.at_least_one_part, p.invited) ?? 0,
    all: fmt(p.all_parts),
  })]);
}

function findings() {
  const items = [];
  for (const f of S.report.findings) {
    const national = f.figures.NO;
    if (!national || isWithheld(national) || !(national.n > 0)) continue;
    const text = f.text[lang] || (lang === 'nn' && f.text.nn) || f.text.nb;
    const share = shareWords(national.count, national.n, lang);
    const sizes = contrast(f, lang);
    items.push(el('li', null, null, [
      el('p', 'finding', null, [sentence(text, share) + '.']),
      el('p', 'finding-basis', null, [t('finding.basis', { count: fmt(national.count), n: fmt(national.n) })]),
      sizes && el('p', 'finding-sizes', null, [t('finding.sizes', sizes)]),
    ]));
  }
  if (!items.length) return null;
  return el('section', 'findings', { 'aria-labelledby': 'findings-h' }, [
    T('h2', 'findings.h2', null, null, { id: 'findings-h' }),
    el('ul', 'finding-list', null, items),
  ]);
}

function areaChooser() {
  const select = el('select', null, { id: 'area' });
  const option = (a) => el('option', null, { value: a.id, selected: a.id === S.area }, [
    `${areaName(a)} (${t('area.units', { n: fmt(a.units) })})`,
  ]);
  const levels = [['nation', null], ['size_band', 'area.bands'], ['county', 'area.counties']];
  for (const [level, label] of levels) {
    const areas = S.report.areas.filter((a) => a.level === level);
    if (!label) select.append(...areas.map(option));
    else select.append(el('optgroup', null, { label: t(label) }, areas.map(option)));
  }
  select.addEventListener('change', () => {
    S.area = select.value;
    const box = document.getElementById('questions');
    box.replaceChildren(...questionSections());
    document.getElementById('area-now').textContent = areaName(areaOf(S.area));
  });
  return el('div', 'area-pick', null, [
    el('label', null, { for: 'area' }, [T('span', 'area.label')]),
    select,
    el('p', 'area-now-line', { 'aria-live': 'polite' }, [T('span', 'area.showing'), ' ', el('strong', null, { id: 'area-now' }, [areaName(areaOf(S.area))])]),
  ]);
}

// A bar as wide as the share, beside the number; the table holds the figures.
// The width is set through the CSSOM: the site's CSP refuses style attributes.
function bar(share, cls = '') {
  const fill = el('span', 'bar-fill');
  fill.style.inlineSize = `${Math.max(0, Math.min(100, share ?? 0))}%`;
  return el('span', `bar ${cls}`, { 'aria-hidden': 'true' }, [fill]);
}

function figureTable(q, figure, caption) {
  if (!figure) return el('p', 'muted', null, [t('figure.none')]);
  if (isWithheld(figure)) return el('p', 'withheld', null, [withheldText(figure)]);
  if (!(figure.n > 0)) return el('p', 'muted', null, [t('figure.none')]);
  const body = rows(figure, q.options).map((r) => el('tr', r.dontKnow ? 'dont-know' : null, null, [
    el('th', null, { scope: 'row' }, [optionLabel(q, r.value)]),
    el('td', 'share', null, [el('div', 'share-box', null, [bar(r.percent, r.dontKnow ? 'dk' : ''), el('span', 'pct', null, [`${r.percent} %`])])]),
    el('td', 'num', null, [fmt(r.count)]),
  ]));
  const note = [t('figure.n', { n: fmt(figure.n) })];
  if (q.type === 'multi') note.push(t('figure.multi'));
  if (figure.mean != null) note.push(t('figure.mean', { mean: figure.mean.toLocaleString(lang === 'en' ? 'en-GB' : 'nb-NO') }));
  return el('div', 'figure', null, [
    el('table', 'fig-table', null, [
      el('caption', 'sr-only', null, [caption]),
      el('thead', null, null, [el('tr', null, null, [
        T('th', 'col.answer', null, null, { scope: 'col' }),
        T('th', 'col.share', null, null, { scope: 'col' }),
        T('th', 'col.count', null, null, { scope: 'col' }),
      ])]),
      el('tbody', null, null, body),
    ]),
    el('p', 'fig-note', null, [note.join(' ')]),
  ]);
}

function questionBlock(q, report) {
  const id = `h-${q.id}`;
  const lead = q.matrix ? [el('p', 'matrix-lead', null, [t(`matrix.${q.matrix}.text`)])] : [];
  const text = t(`q.${q.id}.text`);
  return el('article', 'result', { 'aria-labelledby': id }, [
    ...lead,
    el('h4', null, { id }, [text]),
    figureTable(q, report?.figures?.[S.area], `${text} – ${areaName(areaOf(S.area))}`),
  ]);
}

// The sections of a role's part, each with its heading.
function sections(questions, render) {
  const out = [];
  let section = null;
  let matrix = null;
  for (const { question, report } of questions) {
    if (question.section !== section) {
      section = question.section;
      matrix = null;
      out.push(el('h3', null, null, [t(`section.${section}`)]));
    }
    const node = render(question, report, question.matrix && question.matrix === matrix);
    matrix = question.matrix || null;
    if (node) out.push(node);
  }
  return out;
}

// A question some unit answered: the nation's figure is published with answers, or withheld.
const answeredAnywhere = (report) => Boolean(report) && (isWithheld(report.figures.NO) || report.figures.NO?.n > 0);

function questionSections() {
  const parts = byRole(S.questionnaire, S.report.questions);
  return parts.map((part) => el('section', 'part', { 'aria-labelledby': `part-${part.role}` }, [
    T('h2', `role.${part.role}`, null, null, { id: `part-${part.role}` }),
    ...(part.questions.some((x) => answeredAnywhere(x.report))
      ? sections(part.questions.filter((x) => answeredAnywhere(x.report)), (q, report, sameMatrix) => {
        const block = questionBlock(q, report);
        if (sameMatrix) block.querySelector('.matrix-lead')?.remove();
        return block;
      })
      : [T('p', 'part.none', null, 'muted')]),
  ]));
}

function renderReport() {
  document.title = `${t('h1')} – ${t('app_title')}`;
  main.replaceChildren(
    T('h1', 'h1'),
    participation(),
    T('p', 'about', { min: S.report.min_units }),
    findings(),
    el('section', 'all-questions', { 'aria-labelledby': 'all-h' }, [
      T('h2', 'questions.h2', null, null, { id: 'all-h' }),
      areaChooser(),
      el('div', null, { id: 'questions' }, questionSections()),
    ]),
  );
}

// ---------- a unit's own view ----------

function answerText(q, answer) {
  if (answer == null) return null;
  if (q.type === 'text') return answer;
  const values = Array.isArray(answer) ? answer : [answer];
  return values.map((v) => optionLabel(q, v)).join(', ');
}

function compareCell(figure, value) {
  if (!figure) return el('td', 'num muted', null, ['–']);
  if (isWithheld(figure)) return el('td', 'num muted', null, [el('span', null, { title: withheldText(figure) }, ['–'])]);
  const p = percent(figure.counts?.[value] ?? 0, figure.n);
  return el('td', 'num', null, [p == null ? '–' : `${p} %`]);
}

function unitQuestion(q, own) {
  const id = `h-${q.id}`;
  const text = t(`q.${q.id}.text`);
  const yours = el('p', 'own-answer', null, [T('span', 'unit.your_answer'), ' ', el('strong', null, null, [answerText(q, own.answer)])]);
  if (q.type === 'text') {
    return el('article', 'result', { 'aria-labelledby': id }, [el('h4', null, { id }, [text]), el('blockquote', 'comment', null, [own.answer])]);
  }
  const chosen = new Set(Array.isArray(own.answer) ? own.answer : own.answer == null ? [] : [own.answer]);
  const band = S.view.unit.size_band;
  const body = q.options.map((o) => el('tr', chosen.has(o.value) ? 'chosen' : o.value === 'dont_know' ? 'dont-know' : null, null, [
    el('th', null, { scope: 'row' }, [optionLabel(q, o.value), chosen.has(o.value) ? el('span', 'chosen-mark', null, [' ', t('unit.chosen')]) : null]),
    compareCell(own.national, o.value),
    compareCell(own.county, o.value),
    band ? compareCell(own.size_band, o.value) : null,
  ]));
  const withheld = [own.national, own.county, own.size_band].filter(isWithheld);
  return el('article', 'result', { 'aria-labelledby': id }, [
    q.matrix ? el('p', 'matrix-lead', null, [t(`matrix.${q.matrix}.text`)]) : null,
    el('h4', null, { id }, [text]),
    yours,
    el('table', 'fig-table compare', null, [
      el('caption', 'sr-only', null, [text]),
      el('thead', null, null, [el('tr', null, null, [
        T('th', 'col.answer', null, null, { scope: 'col' }),
        T('th', 'col.nation', null, null, { scope: 'col' }),
        el('th', null, { scope: 'col' }, [S.view.unit.county]),
        band ? el('th', null, { scope: 'col', title: t(`band.${band}`) }, [t(`band.short.${band}`)]) : null,
      ])]),
      el('tbody', null, null, body),
    ]),
    withheld.length ? el('p', 'fig-note', null, [t('unit.dash'), ' ', withheldText(withheld[0])]) : null,
  ]);
}

function renderUnit() {
  const v = S.view;
  document.title = `${t('unit.h1', { unit: v.unit.name })} – ${t('app_title')}`;
  const byId = Object.fromEntries(v.questions.map((q) => [q.id, q]));
  const parts = byRole(S.questionnaire, []).map((part) => {
    const status = v.parts.find((p) => p.role === part.role);
    const answered = part.questions.filter((x) => byId[x.question.id]?.answer != null);
    return el('section', 'part', { 'aria-labelledby': `part-${part.role}` }, [
      T('h2', `role.${part.role}`, null, null, { id: `part-${part.role}` }),
      status ? el('p', 'part-status', null, [t(`status.${status.status}`)]) : null,
      ...sections(answered, (q, _, sameMatrix) => {
        const block = unitQuestion(q, byId[q.id]);
        if (sameMatrix) block.querySelector('.matrix-lead')?.remove();
        return block;
      }),
    ]);
  });
  main.replaceChildren(
    T('h1', 'unit.h1', { unit: v.unit.name }),
    T('p', 'unit.lead', { unit: v.unit.name }),
    S.report ? participation() : null,
    S.report ? findings() : null,
    ...parts,
  );
}

// ---------- start ----------

function message(titleKey, textKey, vars) {
  document.title = `${t(titleKey)} – ${t('app_title')}`;
  main.replaceChildren(T('h1', titleKey), T('p', textKey, vars));
}

function render() {
  if (S.view) renderUnit();
  else if (S.report) renderReport();
}

async function boot() {
  chrome(pageStrings('/kommuneundersokelse/i18n'));
  await useLang(initialLang());
  const token = readToken(TOKEN_KEY);
  S.survey = new URLSearchParams(location.search).get('survey');
  try {
    if (token) {
      S.view = await getWithToken('/api/org-responses/current/results', token);
      S.survey = S.view.survey_id;
    }
    if (!S.survey) return message('missing.h1', 'missing.text');
    const [survey, questionnaire] = await Promise.all([
      getJSON(`/api/surveys/${encodeURIComponent(S.survey)}`),
      getJSON(`/api/surveys/${encodeURIComponent(S.survey)}/questionnaire`),
    ]);
    S.languages = survey.languages.map((l) => l.code);
    S.questionnaire = questionnaire;
    S.report = await getJSON(`/api/org-results/${encodeURIComponent(S.survey)}`).catch((e) => {
      if (S.view && e instanceof ApiError) return null;
      throw e;
    });
  } catch (e) {
    const code = e instanceof ApiError ? e.code : null;
    if (code === 'no_report') return message('pending.h1', 'pending.text');
    if (code === 'invalid_token') return message('token.h1', 'token.text');
    if (code === 'unknown_survey') return message('missing.h1', 'missing.text');
    throw e;
  }
  await loadContent();
  render();
  onLang(async () => { await loadContent(); render(); });
}

start(boot);
