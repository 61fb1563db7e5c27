// The unit field of the form for a results link: a combobox that finds a
// municipality or an Oslo district by name or number, with the registration
// page's search (/registrer/logic.js), so "Tromsø", "tromso" and "5501" all
// find the same unit and a name that several units share asks for a choice.
import { el } from '/i18n.js';
import { getJSON } from '/api.js';
import { put } from '/registrer/lang.js';
import { fold, indexUnits, searchUnits, exactUnit } from '/registrer/logic.js';

// A unit's number: a municipality's (4 digits), an Oslo district's (6), or one of a survey's own units.
const UNIT_RE = /^\d{2,8}$/;
let units = null; // Promise of the search index ([] when the list could not be loaded)

// The units of the wave's survey (the municipalities and districts without a wave), once.
export function loadUnits(survey) {
  if (!units) {
    units = getJSON(survey ? `/api/units?survey=${encodeURIComponent(survey)}` : '/api/units')
      .then((list) => (Array.isArray(list) ? indexUnits(list) : []))
      .catch(() => {
        units = null;
        return [];
      });
  }
  return units;
}

// What the typed text stands for: {unit} when it names exactly one unit (or,
// without the list, is a well-formed number), {choices} when several share the
// name, else {error}.
export function resolveUnit(index, text) {
  const typed = String(text || '').trim();
  if (!typed) return { error: 'acc.err.unit_required' };
  if (!index.length) return UNIT_RE.test(typed) ? { unit: { number: typed, name: typed } } : { error: 'acc.err.unit' };
  const one = exactUnit(index, typed);
  if (one) return { unit: one };
  const hits = searchUnits(index, typed);
  if (hits.length === 1) return { unit: hits[0] };
  const same = hits.filter((u) => u.keys.includes(fold(typed)));
  if (same.length > 1) return { choices: same };
  return hits.length > 1 ? { choices: hits.slice(0, 50) } : { error: 'acc.err.unit' };
}

// The combobox. state: {text, chosen}; onChange() after each choice.
export function unitPicker(state, index, { id, describedBy }) {
  const input = el('input', 'input plain', {
    id, type: 'text', role: 'combobox', 'aria-autocomplete': 'list', 'aria-expanded': 'false',
    'aria-controls': id + '-list', autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false',
    name: 'unit', maxlength: '100', value: state.text,
  });
  const listbox = el('ul', 'listbox', { id: id + '-list', role: 'listbox', 'aria-labelledby': id + '-label', hidden: true });
  const chosenLine = el('p', 'chosen', { id: id + '-chosen' });
  const status = el('p', 'sr-only', { role: 'status', id: id + '-status' });
  let matches = [];
  let active = -1;
  let timer = 0;

  const describe = () => {
    const ids = [...describedBy(), chosenLine.textContent ? id + '-chosen' : null].filter(Boolean);
    if (ids.length) input.setAttribute('aria-describedby', ids.join(' '));
    else input.removeAttribute('aria-describedby');
  };
  const paintChosen = () => {
    const u = state.chosen;
    if (u && u.county) put(chosenLine, 'acc.unit.chosen', { name: u.name, number: u.number, county: u.county });
    else { delete chosenLine.dataset.key; chosenLine.textContent = ''; }
    describe();
  };
  const isOpen = () => !listbox.hidden;
  function open(list, act) {
    matches = list;
    active = -1;
    listbox.replaceChildren(...list.map((u, i) => el('li', 'option', { role: 'option', id: `${id}-opt-${u.number}`, 'aria-selected': 'false', 'data-i': i }, [
      el('span', 'o-name', null, [u.name]), ' ', el('span', 'o-meta', null, [`(${u.county}, ${u.number})`]),
    ])));
    listbox.hidden = list.length === 0;
    input.setAttribute('aria-expanded', String(list.length > 0));
    input.removeAttribute('aria-activedescendant');
    if (act != null && list.length) setActive(act);
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (list.length === 0) put(status, 'acc.unit.none');
      else if (list.length === 1) put(status, 'acc.unit.one');
      else put(status, 'acc.unit.count', { n: list.length });
    }, 400);
  }
  function close() {
    listbox.hidden = true;
    active = -1;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    clearTimeout(timer);
  }
  function setActive(i) {
    const opts = listbox.children;
    if (active >= 0 && opts[active]) opts[active].setAttribute('aria-selected', 'false');
    active = i;
    opts[i].setAttribute('aria-selected', 'true');
    input.setAttribute('aria-activedescendant', opts[i].id);
    opts[i].scrollIntoView({ block: 'nearest' });
  }
  function choose(u) {
    state.chosen = u;
    state.text = u.name;
    input.value = u.name;
    close();
    paintChosen();
  }
  input.addEventListener('input', () => {
    state.text = input.value;
    if (state.chosen && input.value !== state.chosen.name) { state.chosen = null; paintChosen(); }
    open(input.value.trim() ? searchUnits(index, input.value).slice(0, 50) : [], null);
  });
  input.addEventListener('keydown', (ev) => {
    if (ev.isComposing) return;
    const n = matches.length;
    switch (ev.key) {
      case 'ArrowDown':
        ev.preventDefault();
        if (!isOpen()) open(searchUnits(index, input.value).slice(0, 50), ev.altKey ? null : 0);
        else if (!ev.altKey && n) setActive(active < n - 1 ? active + 1 : 0);
        break;
      case 'ArrowUp':
        ev.preventDefault();
        if (isOpen() && n) setActive(active > 0 ? active - 1 : n - 1);
        break;
      case 'Enter':
        if (isOpen() && (active >= 0 || n === 1)) {
          ev.preventDefault();
          choose(matches[Math.max(active, 0)]);
        } else close();
        break;
      case 'Escape':
        if (isOpen()) { ev.preventDefault(); close(); }
        break;
      case 'Tab':
        if (isOpen() && active >= 0) choose(matches[active]);
        break;
      default:
    }
  });
  input.addEventListener('blur', () => {
    close();
    if (!state.chosen) {
      const u = exactUnit(index, input.value);
      if (u) choose(u);
    }
  });
  listbox.addEventListener('mousedown', (ev) => ev.preventDefault());
  listbox.addEventListener('click', (ev) => {
    const o = ev.target.closest('[role=option]');
    if (o) choose(matches[Number(o.dataset.i)]);
  });
  paintChosen();
  // The choices of an ambiguous name, opened after a submit.
  const offer = (list) => { input.focus(); open(list, null); };
  return { input, extra: [listbox, chosenLine, status], offer, describe };
}
