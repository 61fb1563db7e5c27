// /registrer/: a municipality or Oslo city district registers for a wave
// with 1 to 4 contact persons: the wave named by ?survey=S, else the one in
// /config.json, and where more than one wave takes registrations, the one the
// contact chooses (GET /api/surveys?registration=open). Unit picker (ARIA 1.2 combobox with a listbox),
// contact rows, field-level validation that mirrors the server, an error
// summary, and the confirmation after POST /api/registrations.
import { el } from '/i18n.js';
import { getJSON, postJSON } from '/api.js';
import { T, put, chrome, useLang, initialLang, onLang, setTitle, fmtMoment, fmtStart, focusOn, lang, pageStrings, start } from './lang.js';
import {
  MAX_CONTACTS, indexUnits, searchUnits, exactUnit, validate, serverErrorKey,
  checkName, checkEmail, checkPhone, checkExpected, emailKey,
} from './logic.js';

const main = document.getElementById('main');
const enc = encodeURIComponent;

const SURVEY_RE = /^[0-9A-Za-z_-]{1,40}$/;
let surveyId = null;
let survey = null; // the wave, when it could be loaded
let openWaves = []; // the waves taking registrations, when the page may choose
let index = []; // units prepared for search

function render(kids, { titleKey, focus } = {}) {
  main.replaceChildren(...kids);
  const h = main.querySelector('h1');
  if (h) h.tabIndex = -1;
  setTitle(titleKey || (h && h.dataset.key) || 'reg.title');
  if (focus) focusOn(focus === true ? h : focus);
}

// ---------- loading ----------

async function load(retrying) {
  main.replaceChildren(el('div', 'spinner', { 'aria-hidden': 'true' }), T('p', 'loading', null, 'sr-only', { role: 'status' }));
  let units;
  const named = new URLSearchParams(location.search).get('survey');
  if (named && !SURVEY_RE.test(named)) return showUnknown(named);
  try {
    const cfg = await getJSON('/config.json');
    surveyId = named || cfg.survey_id;
    [units, survey, openWaves] = await Promise.all([
      unitsOf(surveyId),
      getJSON(`/api/surveys/${enc(surveyId)}`).catch((e) => (e.code === 'unknown_survey' ? 'unknown' : null)),
      // A named wave is that wave; otherwise any wave that takes registrations may be chosen.
      named ? [] : getJSON('/api/surveys?registration=open').then((d) => d.surveys).catch(() => []),
    ]);
    if (!Array.isArray(units) || !units.length) throw new Error('no units');
  } catch {
    return showLoadError(retrying);
  }
  if (!Array.isArray(openWaves)) openWaves = [];
  // The configured wave no longer takes registrations, but another one does: that one, with its units.
  if (!named && (survey === 'unknown' || !takesRegistrations(survey)) && openWaves.length) {
    survey = openWaves[0];
    surveyId = survey.survey_id;
    units = await unitsOf(surveyId).catch(() => units);
  }
  index = indexUnits(units);
  if (survey === 'unknown') return named ? showUnknown(named) : showProblem('reg.unknown_survey.title', 'err.unknown_survey');
  if (!takesRegistrations(survey)) return showClosed(false, named);
  showForm();
}

// The units of a wave's survey; the municipalities and districts when the wave is not known.
const unitsOf = (wave) => getJSON(`/api/units?survey=${enc(wave)}`).catch(() => getJSON('/api/units'));

function takesRegistrations(wave) {
  if (!wave) return true; // not known: the server decides
  const deadline = Date.parse(wave.registration_deadline);
  return !((deadline && deadline < Date.now()) || wave.status === 'closed');
}

const frontDoor = () => el('a', null, { href: `/kommune/?survey=${enc(surveyId)}&lang=${lang}` }, [T('span', 'reg.front_door')]);

function showUnknown(name) {
  render([T('h1', 'reg.unknown_survey.title'), T('p', 'reg.unknown_survey.named', { survey: name }), el('p', null, null, [frontDoor()])]);
}

function showLoadError(focus) {
  const retry = el('button', 'btn primary', { type: 'button' }, [T('span', 'retry')]);
  retry.onclick = () => load(true);
  render([T('h1', 'load_err.title'), T('p', 'load_err.text'), el('div', 'nav', null, [retry])], { focus });
}

function showProblem(titleKey, textKey) {
  render([T('h1', titleKey), T('p', textKey)]);
}

function deadlineText(cls, key) {
  const p = el('p', cls);
  const paint = () => put(p, key, { date: fmtMoment(survey.registration_deadline) });
  paint();
  onLang(paint);
  p.repaint = paint;
  return p;
}

function showClosed(focus, named) {
  const kids = [named ? T('h1', 'reg.closed.named', { survey: named }) : T('h1', 'reg.closed.title')];
  if (survey && survey.registration_deadline) kids.push(deadlineText('', 'reg.closed.text'));
  kids.push(T('p', 'reg.closed.contact'), el('p', null, null, [frontDoor()]));
  render(kids, { focus });
}

// Which wave the registration is for: said always, chosen where several take registrations.
function wavePart(onChange) {
  const vars = (w) => ({ survey: w.survey_id, opens: fmtStart(w.opens_at), closes: fmtMoment(w.closes_at) });
  if (openWaves.length < 2) {
    if (!survey || !survey.opens_at) return null;
    const p = el('p', 'wave-chosen', { id: 'wave-chosen' });
    const paint = () => put(p, 'reg.wave.chosen', vars(survey));
    paint();
    onLang(paint);
    return p;
  }
  const options = openWaves.map((w, i) => {
    const id = 'wave-' + i;
    const input = el('input', null, { type: 'radio', name: 'survey_id', id, value: w.survey_id, checked: w.survey_id === surveyId, 'aria-describedby': id + '-deadline' });
    input.addEventListener('change', () => {
      survey = w;
      surveyId = w.survey_id;
      onChange();
    });
    const label = el('label', null, { for: id }, [el('span')]);
    const deadline = el('span', 'hint', { id: id + '-deadline' });
    const paint = () => {
      put(label.firstChild, 'reg.wave.option', vars(w));
      put(deadline, 'reg.wave.deadline', { date: fmtMoment(w.registration_deadline) });
    };
    paint();
    onLang(paint);
    return el('div', 'radio', null, [input, label, deadline]);
  });
  if (!options.some((o) => o.firstChild.checked)) {
    options[0].firstChild.checked = true;
    [survey] = openWaves;
    surveyId = survey.survey_id;
  }
  return el('fieldset', 'waves', { 'aria-describedby': 'waves-hint' }, [
    el('legend', null, null, [T('h2', 'reg.wave.legend')]),
    T('p', 'reg.wave.hint', null, 'hint', { id: 'waves-hint' }),
    ...options,
  ]);
}

// ---------- the form ----------

// A field's error slot: where its message goes and what gets focus from the summary.
function slot(errEl, focusEl, described, row, labelKey) {
  return { errEl, focusEl, described, row, labelKey, err: null };
}

function fieldBlock(id, labelKey, hintKey, input) {
  const label = el('label', 'label', { for: id, id: id + '-label' }, [T('span', labelKey)]);
  const hint = hintKey ? T('p', hintKey, null, 'hint', { id: id + '-hint' }) : null;
  const err = el('p', 'error', { id: id + '-err' });
  input.id = id;
  const wrap = el('div', 'field', null, [label, hint, err, input]);
  return { wrap, label, hint, err };
}

function showForm() {
  const summaryList = el('ul');
  const summary = el('div', 'err-summary', { tabindex: '-1', 'aria-labelledby': 'sum-title', hidden: true }, [
    T('h2', 'reg.summary.title', null, null, { id: 'sum-title' }),
    summaryList,
  ]);
  const formErrors = []; // [{key}] tied to no field

  // ----- unit combobox -----
  const unitInput = el('input', 'input plain', {
    type: 'text', role: 'combobox', 'aria-autocomplete': 'list', 'aria-expanded': 'false',
    'aria-controls': 'unit-list', autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false',
    name: 'unit', maxlength: '100',
  });
  const unitBlock = fieldBlock('unit', 'reg.unit.label', 'reg.unit.hint', unitInput);
  const listbox = el('ul', 'listbox', { id: 'unit-list', role: 'listbox', 'aria-labelledby': 'unit-label', hidden: true });
  unitBlock.wrap.append(listbox);
  unitBlock.wrap.classList.add('combo');
  const chosenLine = el('p', 'chosen', { id: 'unit-chosen' });
  const unitStatus = el('p', 'sr-only', { role: 'status', id: 'unit-status' });
  unitBlock.wrap.append(chosenLine, unitStatus);
  const unitSlot = slot(unitBlock.err, unitInput, unitInput, null, 'reg.unit.label');
  const unitHints = () => ['unit-hint', chosenLine.textContent ? 'unit-chosen' : null];

  let chosen = null;
  let matches = [];
  let active = -1;
  let statusTimer = 0;

  const isOpen = () => !listbox.hidden;
  function openList(list, act) {
    matches = list;
    active = -1;
    const frag = document.createDocumentFragment();
    list.forEach((u, i) => {
      frag.append(el('li', 'option', { role: 'option', id: 'unit-opt-' + u.number, 'aria-selected': 'false', 'data-i': i }, [
        el('span', 'o-name', null, [u.name]), ' ',
        el('span', 'o-meta', null, [`(${u.county}, ${u.number})`]),
      ]));
    });
    listbox.replaceChildren(frag);
    listbox.hidden = list.length === 0;
    unitInput.setAttribute('aria-expanded', String(list.length > 0));
    unitInput.removeAttribute('aria-activedescendant');
    if (act != null && list.length) setActive(act);
    clearTimeout(statusTimer);
    statusTimer = setTimeout(() => {
      if (list.length === 0) put(unitStatus, 'reg.unit.none');
      else if (list.length === 1) put(unitStatus, 'reg.unit.one');
      else put(unitStatus, 'reg.unit.count', { n: list.length });
    }, 400);
  }
  function closeList() {
    listbox.hidden = true;
    active = -1;
    unitInput.setAttribute('aria-expanded', 'false');
    unitInput.removeAttribute('aria-activedescendant');
    clearTimeout(statusTimer);
  }
  function setActive(i) {
    const opts = listbox.children;
    if (active >= 0 && opts[active]) opts[active].setAttribute('aria-selected', 'false');
    active = i;
    const o = opts[i];
    o.setAttribute('aria-selected', 'true');
    unitInput.setAttribute('aria-activedescendant', o.id);
    o.scrollIntoView({ block: 'nearest' });
  }
  function paintChosen() {
    if (chosen) put(chosenLine, 'reg.unit.chosen', { name: chosen.name, number: chosen.number, county: chosen.county });
    else { delete chosenLine.dataset.key; chosenLine.textContent = ''; }
    describe(unitSlot);
  }
  function choose(u) {
    chosen = u;
    unitInput.value = u.name;
    closeList();
    paintChosen();
    if (unitSlot.err) setSlotError(unitSlot, null);
  }
  unitInput.addEventListener('input', () => {
    if (chosen && unitInput.value !== chosen.name) { chosen = null; paintChosen(); }
    openList(unitInput.value.trim() ? searchUnits(index, unitInput.value) : [], null);
  });
  unitInput.addEventListener('keydown', (ev) => {
    if (ev.isComposing) return;
    const n = matches.length;
    switch (ev.key) {
      case 'ArrowDown':
        ev.preventDefault();
        if (!isOpen()) openList(searchUnits(index, unitInput.value), ev.altKey ? null : 0);
        else if (!ev.altKey && n) setActive(active < n - 1 ? active + 1 : 0);
        break;
      case 'ArrowUp':
        ev.preventDefault();
        if (!isOpen()) openList(searchUnits(index, unitInput.value), Math.max(0, searchUnits(index, unitInput.value).length - 1));
        else if (n) setActive(active > 0 ? active - 1 : n - 1);
        break;
      case 'Enter':
        if (isOpen()) {
          ev.preventDefault();
          if (active >= 0) choose(matches[active]);
          else if (n === 1) choose(matches[0]);
          else closeList();
        }
        break;
      case 'Escape':
        if (isOpen()) { ev.preventDefault(); closeList(); } else if (unitInput.value) {
          ev.preventDefault();
          unitInput.value = '';
          chosen = null;
          paintChosen();
        }
        break;
      case 'Tab':
        if (isOpen() && active >= 0) choose(matches[active]);
        break;
      default:
    }
  });
  unitInput.addEventListener('blur', () => {
    closeList();
    if (!chosen) {
      const u = exactUnit(index, unitInput.value);
      if (u) choose(u);
    }
  });
  // Keep focus in the input while the list is clicked or tapped.
  listbox.addEventListener('mousedown', (ev) => ev.preventDefault());
  listbox.addEventListener('click', (ev) => {
    const o = ev.target.closest('[role=option]');
    if (o) choose(matches[Number(o.dataset.i)]);
  });

  // ----- contact rows -----
  const rows = [];
  const rowsBox = el('div', 'contact-rows');
  const contactsErr = el('p', 'error', { id: 'contacts-err' });
  const contactsHint = T('p', 'reg.contacts.hint', null, 'hint', { id: 'contacts-hint' });
  const contactsFs = el('fieldset', 'contacts', { 'aria-describedby': 'contacts-hint' }, [
    el('legend', null, null, [T('h2', 'reg.contacts.legend')]),
    contactsHint, contactsErr, rowsBox,
  ]);
  const addBtn = el('button', 'btn add', { type: 'button' }, [T('span', 'reg.contact.add')]);
  const maxNote = T('p', 'reg.contact.max', null, 'hint', { hidden: true });
  const rowStatus = el('p', 'sr-only', { role: 'status' });
  contactsFs.append(addBtn, maxNote, rowStatus);
  const contactsSlot = slot(contactsErr, null, contactsFs, null, 'reg.contacts.legend');
  contactsSlot.hints = ['contacts-hint'];

  function newRow() {
    const row = { fs: el('fieldset', 'contact'), legend: el('span') };
    const mk = (f, type, extra) => {
      const input = el('input', 'input plain', { type, name: f, ...extra });
      const label = el('label', 'label', null, [T('span', 'reg.contact.' + f)]);
      const err = el('p', 'error');
      const wrap = el('div', 'field', null, [label, err, input]);
      row[f] = { input, label, err, wrap, slot: slot(err, input, input, row, 'reg.contact.' + f) };
      input.addEventListener('change', () => recheck(row[f].slot));
      return wrap;
    };
    row.remove = el('button', 'btn link remove', { type: 'button' }, [el('span')]);
    row.remove.onclick = () => removeRow(row);
    row.fs.append(
      el('legend', null, null, [row.legend]),
      mk('name', 'text', { autocomplete: 'name', maxlength: '200', spellcheck: 'false' }),
      mk('email', 'email', { autocomplete: 'email', inputmode: 'email', maxlength: '254', spellcheck: 'false', autocapitalize: 'off' }),
      mk('phone', 'tel', { autocomplete: 'tel', inputmode: 'tel', maxlength: '30' }),
      row.remove,
    );
    return row;
  }
  // Ids, numbers and remove buttons follow the rows' order.
  function numberRows() {
    rows.forEach((row, i) => {
      put(row.legend, 'reg.contact.legend', { n: i + 1 });
      for (const f of ['name', 'email', 'phone']) {
        const id = `contact-${i}-${f}`;
        row[f].input.id = id;
        row[f].label.htmlFor = id;
        row[f].err.id = id + '-err';
        describe(row[f].slot);
      }
      put(row.remove.firstChild, 'reg.contact.remove', { n: i + 1 });
      row.remove.hidden = rows.length === 1;
    });
    addBtn.hidden = rows.length >= MAX_CONTACTS;
    maxNote.hidden = rows.length < MAX_CONTACTS;
  }
  function addRow(focus) {
    const row = newRow();
    rows.push(row);
    rowsBox.append(row.fs);
    numberRows();
    if (focus) row.name.input.focus();
    return row;
  }
  function removeRow(row) {
    const i = rows.indexOf(row);
    if (i < 0 || rows.length === 1) return;
    rows.splice(i, 1);
    row.fs.remove();
    numberRows();
    renderSummary();
    put(rowStatus, 'reg.contact.removed', { n: i + 1 });
    // Focus goes to the row that took its place, else to the one before.
    (rows[i] || rows[i - 1]).name.input.focus();
  }
  addBtn.onclick = () => {
    if (rows.length < MAX_CONTACTS) addRow(true);
    if (rows.length >= MAX_CONTACTS) rowStatus.replaceChildren();
  };
  addRow(false);

  // ----- expected participants -----
  const expInput = el('input', 'input plain narrow', { type: 'text', inputmode: 'numeric', name: 'expected_participants', autocomplete: 'off', maxlength: '7' });
  const expBlock = fieldBlock('expected', 'reg.expected.label', 'reg.expected.hint', expInput);
  const expSlot = slot(expBlock.err, expInput, expInput, null, 'reg.expected.label');
  expSlot.hints = ['expected-hint'];
  expInput.addEventListener('change', () => recheck(expSlot));
  unitSlot.hints = unitHints;
  for (const s of [unitSlot, contactsSlot, expSlot]) describe(s);

  // ----- privacy, status, submit -----
  const privacy = el('section', 'privacy', { 'aria-labelledby': 'privacy-title' }, [
    T('h2', 'reg.privacy.title', null, null, { id: 'privacy-title' }),
    el('ul', 'points', null, ['what', 'why', 'how_long', 'anonymous', 'who'].map((k) => T('li', 'reg.privacy.' + k))),
  ]);
  const sendStatus = el('p', 'sending', { role: 'status' });
  const submit = el('button', 'btn primary', { type: 'submit' }, [T('span', 'reg.submit')]);
  const form = el('form', 'stack reg', { novalidate: true, 'aria-labelledby': 'reg-title' }, [
    unitBlock.wrap, contactsFs, expBlock.wrap, privacy, sendStatus, el('div', 'nav', null, [submit]),
  ]);

  // ----- errors -----
  function describe(s) {
    const hints = typeof s.hints === 'function' ? s.hints() : s.hints || [];
    const ids = [...hints, s.err ? s.errEl.id : null].filter(Boolean);
    if (ids.length) s.described.setAttribute('aria-describedby', ids.join(' '));
    else s.described.removeAttribute('aria-describedby');
    if (s.described.tagName === 'INPUT') {
      if (s.err) s.described.setAttribute('aria-invalid', 'true');
      else s.described.removeAttribute('aria-invalid');
    }
  }
  const message = (e) => T('span', 'err.' + e.key, e.vars);
  function setSlotError(s, e) {
    s.err = e;
    if (e) s.errEl.replaceChildren(T('span', 'reg.err.prefix', null, 'sr-only'), ' ', message(e));
    else s.errEl.replaceChildren();
    describe(s);
  }
  const allSlots = () => [
    unitSlot, contactsSlot,
    ...rows.flatMap((r) => [r.name.slot, r.email.slot, r.phone.slot]),
    expSlot,
  ];
  function clearErrors() {
    for (const s of allSlots()) if (s.err) setSlotError(s, null);
    formErrors.length = 0;
  }
  // The slot for a JSON pointer from the server or the validation.
  function slotFor(pointer) {
    const p = String(pointer || '').split('/').slice(1);
    if (p[0] === 'unit') return unitSlot;
    if (p[0] === 'expected_participants') return expSlot;
    if (p[0] === 'contacts') {
      const row = p.length > 1 ? rows[Number(p[1])] : null;
      if (row && ['name', 'email', 'phone'].includes(p[2])) return row[p[2]].slot;
      if (row) return row.name.slot;
      return contactsSlot;
    }
    return null;
  }
  function renderSummary() {
    const items = [];
    for (const s of allSlots()) {
      if (!s.err) continue;
      const target = s.focusEl || rows[0].name.input;
      const a = el('a', null, { href: '#' + target.id });
      if (s.row) a.append(T('span', 'reg.contact.legend', { n: rows.indexOf(s.row) + 1 }), ', ', T('span', s.labelKey), ': ');
      a.append(message(s.err));
      a.addEventListener('click', (ev) => {
        ev.preventDefault();
        target.focus();
        (s.row ? s.row.fs : target.closest('.field, fieldset') || target).scrollIntoView({ block: 'start' });
      });
      items.push(el('li', null, null, [a]));
    }
    for (const e of formErrors) items.push(el('li', null, null, [message(e)]));
    summaryList.replaceChildren(...items);
    summary.hidden = items.length === 0;
  }
  // Re-checks one field after a change, once it has shown an error.
  function recheck(s) {
    if (!s.err) return;
    const v = s.focusEl.value;
    let key = null;
    if (s === expSlot) [key] = checkExpected(v);
    else if (s.row && s === s.row.name.slot) key = checkName(v);
    else if (s.row && s === s.row.phone.slot) key = checkPhone(v);
    else if (s.row && s === s.row.email.slot) {
      key = checkEmail(v);
      const i = rows.indexOf(s.row);
      if (!key && rows.slice(0, i).some((r) => emailKey(r.email.input.value) === emailKey(v))) key = 'email.duplicate';
    }
    setSlotError(s, key ? { key } : null);
    renderSummary();
  }
  function showErrors(list) {
    for (const e of list) {
      const s = slotFor(e.field);
      if (s && !s.err) setSlotError(s, e);
      else if (!s) formErrors.push(e);
    }
    renderSummary();
    focusOn(summary);
  }

  // ----- submit -----
  let busy = false;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (busy) return;
    closeList();
    if (!chosen) {
      const u = exactUnit(index, unitInput.value);
      if (u) choose(u);
    }
    clearErrors();
    document.getElementById('rate-notice')?.remove();
    const { errors, body } = validate({
      surveyId,
      unit: chosen,
      contacts: rows.map((r) => ({ name: r.name.input.value, email: r.email.input.value, phone: r.phone.input.value })),
      expected: expInput.value,
    });
    if (errors.length) {
      for (const e of errors) if (e.key === 'unit.required' && unitInput.value.trim()) e.key = 'unit.invalid';
      return showErrors(errors);
    }
    busy = true;
    form.setAttribute('aria-busy', 'true');
    submit.setAttribute('aria-disabled', 'true');
    put(sendStatus, 'reg.sending');
    try {
      await postJSON('/api/registrations', body);
      showDone(chosen, body.contacts.map((c) => c.email));
    } catch (e) {
      sendStatus.replaceChildren();
      delete sendStatus.dataset.key;
      const key = serverErrorKey(e.code, e.status);
      if (key === 'rate_limited') {
        const notice = rateNotice(e.retryAfter);
        summary.before(notice);
        focusOn(notice);
        return;
      }
      const err = { field: e.field, key };
      if (e.code === 'too_many_contacts' || e.code === 'no_contacts') err.field = e.field || '/contacts';
      if (['unknown_field', 'unknown_survey', 'registration_closed', 'server', 'network', 'generic'].includes(key)) err.field = null;
      showErrors([err]);
    } finally {
      busy = false;
      form.removeAttribute('aria-busy');
      submit.removeAttribute('aria-disabled');
    }
  });

  const kids = [T('h1', 'reg.title', null, null, { id: 'reg-title' }), T('p', 'reg.lead', null, 'lead')];
  const deadline = survey && survey.registration_deadline ? deadlineText('deadline', 'reg.deadline') : null;
  const waves = wavePart(() => {
    if (deadline) deadline.repaint();
    history.replaceState(history.state, '', `/registrer/?survey=${enc(surveyId)}&lang=${lang}`);
  });
  // The choice of wave is part of the form; a single wave is only named above it.
  const chooser = openWaves.length > 1;
  if (chooser) form.prepend(waves);
  kids.push(deadline, chooser ? null : waves, summary, form);
  render(kids.filter(Boolean));
}

// A 429: its own notice with when to try again (from Retry-After), never the
// "something must be fixed" summary, since nothing in the form is wrong.
function rateNotice(retryAfter) {
  const seconds = Number(retryAfter);
  const minutes = Number.isFinite(seconds) && seconds > 0 ? Math.ceil(seconds / 60) : null;
  const text = minutes === null ? T('p', 'reg.rate.later') : minutes === 1 ? T('p', 'reg.rate.minute') : T('p', 'reg.rate.minutes', { n: minutes });
  return el('div', 'rate-notice', { id: 'rate-notice', tabindex: '-1', role: 'alert', 'aria-labelledby': 'rate-title' }, [
    T('h2', 'reg.rate.title', null, null, { id: 'rate-title' }), text, T('p', 'reg.rate.kept'),
  ]);
}

function showDone(unit, emails) {
  const again = el('a', 'btn', { href: `/registrer/?survey=${enc(surveyId)}&lang=${lang}` }, [T('span', 'done.again')]);
  const link = (href, key) => el('li', null, null, [el('a', null, { href }, [T('span', key)])]);
  render([
    T('h1', 'done.title'),
    el('div', 'confirm', null, [
      T('p', 'done.text', null, 'lead'),
      T('p', 'done.unit', { unit: unit.name }),
    ]),
    T('p', 'done.sent_to'),
    el('ul', 'points emails', null, emails.map((m) => el('li', null, { translate: 'no' }, [m]))),
    T('p', 'done.approval'),
    T('p', 'done.spam', null, 'hint'),
    T('h2', 'done.next.title'),
    el('ul', 'points next-links', null, [
      link(`/ark/?survey=${enc(surveyId)}&lang=${lang}`, 'done.next.sheet'),
      link(`/resultater/?survey=${enc(surveyId)}&unit=${enc(unit.number)}`, 'done.next.results'),
      link(`/kommune/?survey=${enc(surveyId)}&lang=${lang}`, 'done.next.front_door'),
    ]),
    el('div', 'nav', null, [again]),
  ], { focus: true });
}

// ---------- start ----------

async function boot() {
  chrome(pageStrings('/registrer/i18n'));
  try {
    await useLang(initialLang());
  } catch {
    await useLang('nb');
  }
  await load();
}

start(boot);
