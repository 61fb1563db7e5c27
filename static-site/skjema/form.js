// Pure helpers for /skjema/ (no DOM): which questions show, what is missing
// before a submit, and the blocks the form is drawn in. Importable from Node.
import { visible, answersToSend, retryDelay } from '/logic.js';

export { answersToSend, retryDelay };

const isEmpty = (a) => a == null || a === '' || (Array.isArray(a) && a.length === 0);

// The questions shown now, given the answers so far.
export const shown = (qn, answers) => visible(qn, answers);

// Required questions that are shown and not answered, in form order.
export const missing = (qn, answers) => shown(qn, answers).filter((q) => q.required && isEmpty(answers[q.id]));

// The form's sections in order, each a list of blocks: a single question, or
// the consecutive questions of one matrix drawn as one grid.
export function blocks(questions) {
  const sections = [];
  for (const q of questions) {
    let section = sections[sections.length - 1];
    if (!section || section.id !== q.section) {
      section = { id: q.section, blocks: [] };
      sections.push(section);
    }
    const last = section.blocks[section.blocks.length - 1];
    if (q.matrix && last && last.matrix === q.matrix) last.questions.push(q);
    else section.blocks.push({ matrix: q.matrix || null, questions: [q] });
  }
  return sections;
}

// A multi answer after `value` was ticked or unticked: an exclusive option
// ("none of these") clears the others, and another option clears it.
export function toggle(q, current, value, checked) {
  const now = new Set(Array.isArray(current) ? current : []);
  const exclusive = (v) => q.options.some((o) => o.value === v && o.exclusive);
  if (!checked) now.delete(value);
  else if (exclusive(value)) return [value];
  else {
    for (const v of [...now]) if (exclusive(v)) now.delete(v);
    now.add(value);
  }
  return q.options.map((o) => o.value).filter((v) => now.has(v));
}

// Characters in a text, as the server counts them (code points, trimmed).
export const length = (text) => [...String(text || '').trim()].length;
