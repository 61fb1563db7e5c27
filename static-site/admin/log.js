// The wave's log: who changed what and when (Norwegian time), with the values
// before and after, newest first; filtered by unit through the API.
import { has } from '/i18n.js';
import { el, t, field, fmtAt, num, table, loadInto } from './ui.js';
import { changes } from './logic.js';

const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

// A value of the log in words.
function value(key, v) {
  if (v == null || (Array.isArray(v) && !v.length)) return t('value.none');
  if (v === true) return t('value.yes');
  if (Array.isArray(v)) return v.join(', ');
  if (typeof v === 'object') return [v.at ? fmtAt(v.at) : null, v.url].filter(Boolean).join(' ');
  if (typeof v === 'number') return num(v);
  if (TIME.test(v)) return fmtAt(v);
  if (key === 'status' && has(`contact.${v}`)) return t(`contact.${v}`);
  if (key === 'to' && has(`to.${v}`)) return t(`to.${v}`);
  return String(v);
}

const label = (key) => (has(`field.${key}`) ? t(`field.${key}`) : key);

// Before → after as a list: "stenger: 1. sep. 2026, 09:00 → 2. sep. 2026, 09:00".
function diff(entry) {
  const items = changes(entry.before, entry.after).map((c) => {
    if ('same' in c) return `${label(c.key)}: ${value(c.key, c.same)}`;
    if (entry.before == null) return `${label(c.key)}: ${value(c.key, c.after)}`;
    return `${label(c.key)}: ${value(c.key, c.before)} → ${value(c.key, c.after)}`;
  });
  return items.length ? el('ul', 'changes', null, items.map((x) => el('li', null, null, [x]))) : '';
}

export function render(box, ctx) {
  const st = (ctx.state.log ||= { unit: '' });
  const pick = field('log.unit', { id: 'log-unit' }, null, 'select');
  const body = el('div');
  box.append(el('div', 'filters', null, [pick.wrap]), body);
  pick.input.append(el('option', null, { value: '' }, [t('log.all')]));
  // The units' names help read the log and choose; without them it still works.
  const units = ctx.units().then((d) => d.units, () => []);
  units.then((list) => pick.input.append(...list.map((u) => el('option', null, { value: u.unit, selected: u.unit === st.unit }, [`${u.name} (${u.unit})`]))));
  const show = () => loadInto(body, () => Promise.all([ctx.log(st.unit), units]), ([entries, list]) => {
    if (!entries.length) {
      body.append(el('p', null, null, [t('log.none')]));
      return;
    }
    const names = new Map(list.map((u) => [u.unit, u.name]));
    const head = ['log.at', 'log.who', 'log.what', 'log.unit_col', 'log.change'].map((k) => t(k));
    const rows = [...entries].reverse().map((e) => [
      { th: fmtAt(e.at) },
      e.who,
      has(`action.${e.action}`) ? t(`action.${e.action}`) : e.action,
      e.unit ? `${e.unit} ${names.get(e.unit) || ''}`.trim() : '',
      diff(e),
    ]);
    body.append(table(t('log.caption'), head, rows, 'stacked'));
  });
  pick.input.addEventListener('change', () => { st.unit = pick.input.value; show(); });
  show();
}
