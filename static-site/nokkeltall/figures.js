// Pure helpers for /nokkeltall/ (no DOM): the rows of the CSV download and
// the CSV text. Importable from Node for tests.

// One row per figure on the page: [part, population, measure, value, n].
// L: {part(key), nation(), group(id), index(id), band(id), question(id), option(id, value),
//     withheld(reason), mean(), none()}.
// Numbers stay numbers; a withheld figure has no value and says why in `note`.
export function csvRows(kf, L) {
  const rows = [];
  const push = (part, population, measure, value, n, note = '') => rows.push({ part: L.part(part), population, measure, value, n, note });
  const indices = (part, population, values, n) => {
    for (const [id, v] of Object.entries(values || {})) push(part, population, L.index(id), typeof v === 'number' ? v : null, n, typeof v === 'number' ? '' : L.none());
  };
  const nat = kf.national || {};
  indices('themes', L.nation(), nat.indices, kf.respondents);
  for (const [id, g] of Object.entries(nat.groups || {})) {
    if (g) indices('themes', L.group(id), g.indices, g.respondents);
    else push('themes', L.group(id), '', null, null, L.withheld('protects_others'));
  }
  for (const p of kf.trend || []) indices('trend', p.survey_id, p.indices, null);
  for (const [part, list, name] of [['counties', kf.counties, (a) => a.name], ['bands', kf.size_bands, (a) => L.band(a.number)]]) {
    for (const a of list || []) {
      if (a.withheld) push(part, name(a), '', null, null, L.withheld(a.reason));
      else indices(part, name(a), a.indices, a.respondents);
    }
  }
  const question = (population, id, fig) => {
    if (!fig || fig.withheld) { push('questions', population, L.question(id), null, null, L.withheld(fig ? fig.reason : 'protects_others')); return; }
    if (typeof fig.mean === 'number') push('questions', population, `${L.question(id)} – ${L.mean()}`, fig.mean, fig.n);
    for (const [value, count] of Object.entries(fig.counts || {})) {
      push('questions', population, `${L.question(id)} – ${L.option(id, value)}`, count, fig.n);
    }
  };
  for (const q of nat.questions || []) {
    question(L.nation(), q.id, q);
    for (const [id, fig] of Object.entries(q.groups || {})) question(L.group(id), q.id, fig);
  }
  return rows;
}

export const CSV_COLUMNS = ['part', 'population', 'measure', 'value', 'n', 'note'];

// The most chosen option of a question's figure, {value, share}, or null.
export function topOption(fig) {
  const n = Number(fig && fig.n) || 0;
  if (!n || !fig.counts) return null;
  let best = null;
  for (const [value, count] of Object.entries(fig.counts)) if (!best || count > best.count) best = { value, count };
  return best ? { value: best.value, share: best.count / n } : null;
}
