// What the console's views share: errors in words, Norwegian times and
// numbers, form fields, a confirm dialog, loading states and tables.
import { el, t, has } from '/i18n.js';
import { T, focusOn } from '/registrer/lang.js';

export { el, t, T, focusOn };

// An API error (ApiError of /api.js) in words.
export function errorText(e) {
  const code = e?.code || 'network';
  if (has('err.' + code)) return t('err.' + code);
  if (e?.status >= 500 || code === 'internal_error' || code === 'storage_unavailable') return t('err.server');
  return t('err.other', { code });
}

const at = new Intl.DateTimeFormat('nb-NO', { timeZone: 'Europe/Oslo', dateStyle: 'medium', timeStyle: 'short' });
const clock = new Intl.DateTimeFormat('nb-NO', { timeZone: 'Europe/Oslo', timeStyle: 'medium' });
const numbers = new Intl.NumberFormat('nb-NO');

// A moment in Norwegian time: "3. sep. 2026, 14:05".
export const fmtAt = (iso) => (iso ? at.format(new Date(iso)) : '');
export const fmtClock = (date) => clock.format(date);
export const num = (n) => numbers.format(n);
export const pct = (v) => `${numbers.format(Math.round(v))} %`;
const dayMonth = new Intl.DateTimeFormat('nb-NO', { timeZone: 'UTC', day: 'numeric', month: 'short' });
// A day in Norway ("2026-09-03") as "3. sep.".
export const fmtDay = (day) => dayMonth.format(new Date(`${day}T12:00:00Z`));

let fieldIds = 0;

// A labelled input with an optional hint and a place for its error:
// {input, wrap, setError(text|null)}. attrs go on the input.
export function field(labelKey, attrs = {}, hintKey, tag = 'input') {
  const id = attrs.id || `f${++fieldIds}`;
  const hint = hintKey ? T('p', hintKey, null, 'hint', { id: id + '-hint' }) : null;
  const error = el('p', 'error', { id: id + '-err' });
  const input = el(tag, 'input plain', { ...attrs, id, 'aria-describedby': hint ? hint.id : null });
  const wrap = el('div', 'field', null, [T('label', labelKey, null, 'label', { for: id }), hint, error, input]);
  const setError = (text) => {
    error.textContent = text || '';
    if (text) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
    const by = [hint?.id, text ? error.id : null].filter(Boolean).join(' ');
    if (by) input.setAttribute('aria-describedby', by);
    else input.removeAttribute('aria-describedby');
  };
  return { input, wrap, setError };
}

// Runs `work` with the element marked aria-busy, unless it is busy already (a
// second press of a button does nothing). Buttons stay enabled: disabling the
// focused one would drop the keyboard's focus to the page's start.
export async function busy(box, work) {
  if (box.getAttribute('aria-busy') === 'true') return undefined;
  box.setAttribute('aria-busy', 'true');
  try {
    return await work();
  } finally {
    box.removeAttribute('aria-busy');
  }
}

// A loading placeholder: a spinner with a name for screen readers.
export const spinner = () => el('div', 'spinner', { role: 'img', 'aria-label': t('busy') });

// A modal dialog that asks before a change: resolves true for yes. Focus
// starts on Cancel and goes back where it was when the dialog closes.
export function confirm(questionKey, vars, textKey, yesKey) {
  const title = T('h2', questionKey, vars, null, { id: 'confirm-title' });
  const no = T('button', 'confirm.cancel', null, 'btn', { type: 'button', autofocus: true });
  const yes = T('button', yesKey, null, 'btn primary', { type: 'button' });
  const dialog = el('dialog', 'confirm-dialog', { 'aria-labelledby': title.id }, [
    title, textKey ? T('p', textKey, vars) : null, el('div', 'nav', null, [no, yes]),
  ]);
  document.body.append(dialog);
  return new Promise((resolve) => {
    no.addEventListener('click', () => dialog.close('no'));
    yes.addEventListener('click', () => dialog.close('yes'));
    dialog.addEventListener('close', () => { dialog.remove(); resolve(dialog.returnValue === 'yes'); });
    dialog.showModal();
  });
}

let tables = 0;

// A table in a box that scrolls sideways on narrow screens. head: header
// texts, {n: text} over a column of numbers; rows: arrays of cells: text or a
// node, {th} for a row's header, {n} for a number (numbers are aligned right).
// Each cell carries its column's name in data-label, for a stacked layout.
export function table(captionText, head, rows, cls = '') {
  const id = `tbl${++tables}`;
  const labels = head.map((h) => h?.n ?? h);
  const cell = (c, i) => {
    if (c?.th !== undefined) return el('th', null, { scope: 'row' }, [c.th]);
    if (c?.n !== undefined) return el('td', null, { 'data-label': labels[i] }, [String(c.n)]);
    return el('td', 'text', { 'data-label': labels[i] }, [c ?? '']);
  };
  const tbl = el('table', `data ${cls}`.trim(), null, [
    el('caption', 'sr-only', { id }, [captionText]),
    el('thead', null, null, [el('tr', null, null, head.map((h, i) => el('th', h?.n === undefined ? null : 'num', { scope: 'col' }, [labels[i]])))]),
    el('tbody', null, null, rows.map((r) => el('tr', null, null, r.map(cell)))),
  ]);
  return el('div', 'table-wrap', { role: 'region', 'aria-labelledby': id, tabindex: '0' }, [tbl]);
}

// A button that shows or hides a table (which stays readable to screen readers while hidden).
export function tableToggle(wrap, open, onToggle) {
  const btn = el('button', 'btn link toggle', { type: 'button', 'aria-controls': wrap.id || (wrap.id = `tw${++tables}`) });
  const set = (v) => {
    wrap.classList.toggle('sr-only', !v);
    if (v) wrap.tabIndex = 0; else wrap.removeAttribute('tabindex');
    btn.setAttribute('aria-expanded', String(v));
    btn.textContent = t(v ? 'table.hide' : 'table.show');
  };
  btn.addEventListener('click', () => { open = !open; set(open); onToggle?.(open); });
  set(open);
  return btn;
}

// Draws what `fetch()` brings into box with `draw(data)`, showing a spinner
// (and aria-busy) meanwhile, or the error in words with a button to try again.
// After a 401 the sign-in takes over the page, so nothing is drawn.
export async function loadInto(box, fetch, draw) {
  box.replaceChildren(spinner());
  box.setAttribute('aria-busy', 'true');
  try {
    const data = await fetch();
    box.replaceChildren();
    draw(data);
  } catch (e) {
    if (e.status === 401) return;
    const again = T('button', 'retry', null, 'btn', { type: 'button' });
    again.addEventListener('click', () => loadInto(box, fetch, draw).then(() => focusOn(box.firstElementChild)));
    box.replaceChildren(el('p', 'error', { role: 'alert' }, [errorText(e)]), again);
  } finally {
    box.removeAttribute('aria-busy');
  }
}
