// The municipal survey's results page, its pure part: shares put in words for
// the key findings, and figures made into rows for the tables and their bars.
// No DOM, so node's test runner checks it (tests/browser/org-logic.test.mjs).

const NUMBERS = {
  nb: ['', 'en', 'to', 'tre', 'fire', 'fem', 'seks', 'sju', 'åtte', 'ni', 'ti'],
  nn: ['', 'ein', 'to', 'tre', 'fire', 'fem', 'seks', 'sju', 'åtte', 'ni', 'ti'],
  en: ['', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'],
};

// How a share reads, with the noun (`kommuner`) and without (for a list of sizes).
const WORDS = {
  nb: {
    none: ['ingen kommuner', 'ingen'],
    almost_none: ['nesten ingen kommuner', 'nesten ingen'],
    half: ['halvparten av kommunene', 'halvparten'],
    almost_all: ['nesten alle kommunene', 'nesten alle'],
    all: ['alle kommunene', 'alle'],
    of: (a, b) => [`${a} av ${b} kommuner`, `${a} av ${b}`],
  },
  nn: {
    none: ['ingen kommunar', 'ingen'],
    almost_none: ['nesten ingen kommunar', 'nesten ingen'],
    half: ['halvparten av kommunane', 'halvparten'],
    almost_all: ['nesten alle kommunane', 'nesten alle'],
    all: ['alle kommunane', 'alle'],
    of: (a, b) => [`${a} av ${b} kommunar`, `${a} av ${b}`],
  },
  en: {
    none: ['no municipalities', 'none'],
    almost_none: ['almost no municipalities', 'almost none'],
    half: ['half of the municipalities', 'half'],
    almost_all: ['almost all municipalities', 'almost all'],
    all: ['all municipalities', 'all'],
    of: (a, b) => [`${a} in ${b} municipalities`, `${a} in ${b}`],
  },
};

// The simple fractions a share is read as, as IMDi writes them («to av tre»,
// «tre av fire», «en av fem», «åtte av ti»): the nearest, the smaller
// denominator when two are as near.
const FRACTIONS = [[1, 3], [2, 3], [1, 4], [3, 4], [1, 5], ...Array.from({ length: 9 }, (_, i) => [i + 1, 10])];

/**
 * `count` of `n` in words: «åtte av ti kommuner», «halvparten av kommunene»,
 * «nesten alle kommunene»; with `noun` false the bare share («åtte av ti»).
 * Null when nobody answered.
 */
export function shareWords(count, n, lang = 'nb', { noun = true } = {}) {
  if (!(n > 0)) return null;
  const w = WORDS[lang] || WORDS.nb;
  const pick = (pair) => pair[noun ? 0 : 1];
  const p = count / n;
  if (count === 0) return pick(w.none);
  if (count === n) return pick(w.all);
  if (p >= 0.95) return pick(w.almost_all);
  if (p <= 0.05) return pick(w.almost_none);
  if (Math.abs(p - 0.5) < 0.025) return pick(w.half);
  let best = FRACTIONS[0];
  for (const f of FRACTIONS) {
    const error = Math.abs(f[0] / f[1] - p);
    const bestError = Math.abs(best[0] / best[1] - p);
    if (error < bestError - 1e-9) best = f;
  }
  const numbers = NUMBERS[lang] || NUMBERS.nb;
  return pick(w.of(numbers[best[0]], numbers[best[1]]));
}

/** The template with `{share}` filled in, starting with a capital letter. */
export function sentence(template, share) {
  const s = template.replace('{share}', share);
  return s.charAt(0).toLocaleUpperCase('nb') + s.slice(1);
}

/** Whole per cent, or null without answers. */
export const percent = (count, n) => (n > 0 ? Math.round((count / n) * 100) : null);

/** Whether a figure is withheld. */
export const isWithheld = (figure) => Boolean(figure && figure.withheld);

/**
 * A published figure as rows in the question's option order: `{value, count,
 * percent, dontKnow}`. `options` are the questionnaire's options.
 */
export function rows(figure, options) {
  if (!figure || isWithheld(figure)) return [];
  return options.map((o) => {
    const count = figure.counts?.[o.value] ?? 0;
    return { value: o.value, count, percent: percent(count, figure.n), dontKnow: o.value === 'dont_know' };
  });
}

/**
 * The size-band contrast of a finding, when the largest and the smallest
 * municipalities differ by at least `gap` (a fifth by default): `{large,
 * small}` as bare shares in words, else null.
 */
export function contrast(finding, lang = 'nb', gap = 0.2) {
  const large = finding.figures?.['20000_plus'];
  const small = finding.figures?.lt_5000;
  const usable = (f) => f && !isWithheld(f) && f.n > 0;
  if (!usable(large) || !usable(small)) return null;
  if (Math.abs(large.count / large.n - small.count / small.n) < gap) return null;
  return {
    large: shareWords(large.count, large.n, lang, { noun: false }),
    small: shareWords(small.count, small.n, lang, { noun: false }),
  };
}

/**
 * The questions in the questionnaire's order, each role's part a section, with
 * the report's figures joined in: `[{role, questions: [{question, report}]}]`.
 * Questions the report leaves out (free text) are kept for a unit's own view.
 */
export function byRole(questionnaire, reported) {
  const parts = [];
  for (const question of questionnaire.questions) {
    const report = reported.find((r) => r.id === question.id) || null;
    let part = parts[parts.length - 1];
    if (!part || part.role !== question.role) {
      part = { role: question.role, questions: [] };
      parts.push(part);
    }
    part.questions.push({ question, report });
  }
  return parts;
}
