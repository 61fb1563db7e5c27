// Pure helpers for /resultater/ (no DOM): reading the unit's report, shares,
// and the rows of the downloads. Importable from Node for tests.

// The unit and its figures of the previous wave, then the areas it is compared
// with: its county, the units of its size band, the municipalities of its
// KOSTRA group, and the nation.
export const POPULATIONS = ['unit', 'previous', 'county', 'size_band', 'kostra_group', 'national'];

// Each population's fill in the charts (charts.js `p0`..`p5`), whatever its place in the table.
const FILLS = { unit: 0, county: 1, size_band: 2, kostra_group: 3, national: 4, previous: 5 };
export const fillOf = (population) => FILLS[population];
export const SCALE_VALUES = ['1', '2', '3', '4', '5', 'dont_know'];

export const isWithheld = (fig) => !fig || fig.withheld === true;

// A screening question (one with an option that ends the survey, such as "I
// am on leave") is never part of the results: whoever picks that option
// stores nothing, so its figures only ever show the other options.
export const isScreening = (def) => !!def && Array.isArray(def.options) && def.options.some((o) => o.ends_survey === true);

// The figures of a question for a participant group: {unit, county, size_band,
// kostra_group, national, previous} (only the populations the report has; size
// bands, KOSTRA groups and the previous wave are for all participants). A group the report lacks counts as withheld.
export function figuresFor(question, group) {
  const src = group === 'all' ? question : (question.groups && question.groups[group]) || {};
  const out = {};
  for (const p of POPULATIONS) {
    if (group !== 'all' && !(p in src) && (p === 'size_band' || p === 'kostra_group' || p === 'previous')) continue;
    if (p in question || p in src) out[p] = src[p] || { withheld: true, reason: 'missing' };
  }
  return out;
}

// The survey's plan as the questionnaire gives it: its published groups and
// indices with their names ({id, label: {nb, nn?, en}, short}); empty without one.
export function planOf(questionnaire) {
  const plan = (questionnaire && questionnaire.plan) || {};
  const list = (x) => (Array.isArray(x) ? x.filter((g) => g && typeof g.id === 'string') : []);
  return {
    name: plan.name || null,
    own_units: plan.own_units === true,
    groups: list(plan.groups),
    indices: list(plan.indices),
    groups_hint: plan.groups_hint || null,
  };
}

// The highest value of the scale questions when they all share one (5 for 1-5); null otherwise.
export function scaleMax(defs) {
  const points = new Set();
  for (const q of defs.values()) if (q.type === 'scale') points.add(q.options.filter((o) => o.value !== 'dont_know').length);
  return points.size === 1 ? [...points][0] : null;
}

// The choices of the group filter: everyone, then the plan's groups.
export const groupsOf = (plan) => ['all', ...plan.groups.map((g) => g.id)];

// Whether the report has figures for every published group of the plan.
export const hasGroups = (report, plan) =>
  plan.groups.length > 0 && (report.questions || []).some((q) => q.groups && plan.groups.every((g) => q.groups[g.id]));

// A name from the plan in a page language: nynorsk falls back to bokmål.
export const named = (text, lang) => (text ? (lang === 'nn' ? text.nn || text.nb : text[lang] || text.nb) || '' : '');

// The options of a question in questionnaire order; without the questionnaire,
// the scale's values or the order the report's counts come in.
export function optionValues(question, def, figs) {
  if (def && Array.isArray(def.options) && def.options.length) return def.options.map((o) => String(o.value));
  if (question.type === 'scale') return SCALE_VALUES.slice();
  const seen = [];
  for (const f of Object.values(figs || {})) {
    if (!isWithheld(f) && f.counts) for (const k of Object.keys(f.counts)) if (!seen.includes(k)) seen.push(k);
  }
  return seen;
}

// [{value, count, share}] for a figure that is not withheld; share is 0-1, or
// null when nobody answered.
export function shares(fig, values) {
  const n = Number(fig.n) || 0;
  return values.map((v) => {
    const count = Number((fig.counts || {})[v]) || 0;
    return { value: v, count, share: n > 0 ? count / n : null };
  });
}

// The moment a run was made, from its id's leading `YYYYMMDDTHHMMSSZ`.
export function runDate(runId) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/.exec(String(runId || ''));
  if (!m) return null;
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  return Number.isFinite(ms) ? new Date(ms) : null;
}

// Sections in the order their first question comes, each with its questions.
export function sections(report, defs) {
  const out = [];
  const byId = new Map();
  for (const q of report.questions || []) {
    const def = defs.get(q.id);
    const id = (def && def.section) || '';
    if (!byId.has(id)) {
      const s = { id, questions: [] };
      byId.set(id, s);
      out.push(s);
    }
    byId.get(id).questions.push(q);
  }
  return out;
}

// One row per population × question × option for the downloads.
// L: {population(key), question(q), option(q, value), withheld(reason), none()}.
// Numbers stay numbers (share in percent, rounded to 0.1); missing ones are null.
export function exportRows(report, defs, group, L) {
  const rows = [];
  for (const q of report.questions || []) {
    const figs = figuresFor(q, group);
    const values = optionValues(q, defs.get(q.id), figs);
    for (const p of POPULATIONS) {
      if (!(p in figs)) continue;
      const fig = figs[p];
      const base = { population: L.population(p), question: L.question(q) };
      if (isWithheld(fig)) {
        for (const v of values) rows.push({ ...base, option: L.option(q, v), count: null, n: null, share: null, mean: null, note: L.withheld(fig.reason) });
        continue;
      }
      const mean = typeof fig.mean === 'number' ? fig.mean : null;
      for (const s of shares(fig, values)) {
        rows.push({
          ...base,
          option: L.option(q, s.value),
          count: s.count,
          n: Number(fig.n) || 0,
          share: s.share == null ? null : Math.round(s.share * 1000) / 10,
          mean,
          note: s.share == null ? L.none() : '',
        });
      }
    }
  }
  return rows;
}

// One row per population × index.
export function indexRows(report, L) {
  const rows = [];
  for (const ix of report.indices || []) {
    for (const p of POPULATIONS) {
      if (!(p in ix)) continue;
      const fig = ix[p];
      const base = { population: L.population(p), index: L.index(ix.id) };
      if (isWithheld(fig)) rows.push({ ...base, value: null, n: null, note: L.withheld(fig.reason) });
      else if (typeof fig.value !== 'number') rows.push({ ...base, value: null, n: Number(fig.n) || 0, note: L.none() });
      else rows.push({ ...base, value: fig.value, n: Number(fig.n) || 0, note: '' });
    }
  }
  return rows;
}

const CSV_COLUMNS = ['population', 'question', 'option', 'count', 'n', 'share', 'mean', 'note'];
export const csvColumns = () => CSV_COLUMNS.slice();

// CSV text (with a BOM) from rows, a cell per name in `columns`; `sep` ";" goes with a decimal comma.
export function toCSV(header, rows, { sep = ',', decimal = '.', columns = CSV_COLUMNS } = {}) {
  const cell = (v) => {
    if (v == null) return '';
    let s = typeof v === 'number' ? String(v).replace('.', decimal) : String(v);
    if (typeof v === 'number' && decimal !== '.' && s.includes('e')) s = String(v);
    if (/["\r\n]/.test(s) || s.includes(sep) || /^\s|\s$/.test(s)) s = '"' + s.replace(/"/g, '""') + '"';
    return s;
  };
  const lines = [header.map(cell).join(sep)];
  for (const r of rows) lines.push(columns.map((c) => cell(r[c])).join(sep));
  return '\uFEFF' + lines.join('\r\n') + '\r\n';
}
