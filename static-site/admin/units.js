// The wave's units: a table with a filter by name or number. In a participant
// survey each row opens the unit's details: contacts (approve, remove), the
// e-mail domains that need no approval, the access code (send again, make a
// new one) and closing or reopening the unit. In a survey of roles each row
// has where each role's form stands.
import { indexUnits, searchUnits } from '/registrer/logic.js';
import { has } from '/i18n.js';
import { el, t, T, field, focusOn, busy, confirm, errorText, fmtAt, num, loadInto } from './ui.js';

const ROLES = ['director', 'programme', 'education'];
const sizeText = (band) => t(`size.${band || 'unknown'}`);
const awaiting = (u) => (u.contacts || []).filter((c) => c.status === 'awaiting_approval').length;

export function render(box, ctx) {
  const st = (ctx.state.units ||= { query: '', awaiting: false, open: new Set(), flash: null });
  const body = el('div');
  box.append(body);
  loadInto(body, ctx.units, (data) => draw(body, ctx, st, data));
}

function draw(body, ctx, st, data) {
  const all = indexUnits(data.units.map((u) => ({ ...u, number: u.unit })));
  if (!all.length) {
    body.append(T('p', 'units.none'));
    return;
  }
  const summary = data.roles
    ? T('p', 'units.summary.roles', { units: num(all.length) })
    : T('p', 'units.summary', {
      units: num(all.length),
      awaiting: num(all.reduce((n, u) => n + awaiting(u), 0)),
      closed: num(all.filter((u) => u.closed_at).length),
    });
  const search = field('units.filter', { type: 'search', value: st.query || null, autocomplete: 'off', spellcheck: 'false' }, 'units.filter.hint');
  const only = el('input', null, { type: 'checkbox', id: 'awaiting-only', checked: st.awaiting });
  const showing = el('p', 'hint', { 'aria-live': 'polite' });
  const roles = data.roles ? [...new Set([...ROLES, ...all.flatMap((u) => (u.recipients || []).map((r) => r.role))])] : [];
  const head = ['units.number', 'units.name', 'units.county', 'units.size', ...(data.roles ? [] : ['units.answers', 'units.state', 'units.contacts'])].map((k) => t(k));
  head.push(...roles.map((r) => (has(`role.${r}`) ? t(`role.${r}`) : r)));
  const tbody = el('tbody');
  const tbl = el('table', 'data units', null, [
    T('caption', 'units.caption', null, 'sr-only', { id: 'units-caption' }),
    el('thead', null, null, [el('tr', null, null, head.map((h) => el('th', null, { scope: 'col' }, [h])))]),
    tbody,
  ]);
  let said = null;
  const paint = (now) => {
    st.query = search.input.value;
    st.awaiting = only.checked;
    const shown = searchUnits(all, st.query).filter((u) => !st.awaiting || awaiting(u) > 0);
    tbody.replaceChildren(...shown.flatMap((u) => (data.roles ? [roleRow(u, roles)] : unitRows(u, ctx, st, head.length, refresh))));
    // Said once typing pauses, not at every key.
    const say = () => { showing.textContent = t('units.showing', { shown: num(shown.length), all: num(all.length) }); };
    clearTimeout(said);
    if (now === true) say(); else said = setTimeout(say, 400);
  };
  // After a change: the units again, with the same filter and open rows, and focus on the unit's message.
  async function refresh(unit, text, error) {
    ctx.dropUnits();
    st.flash = { unit, text, error };
    try {
      const fresh = await ctx.units();
      body.replaceChildren();
      draw(body, ctx, st, fresh);
    } catch (e) {
      if (e.status !== 401) tell({ unit, text: errorText(e), error: true });
    }
  }
  search.input.addEventListener('input', paint);
  only.addEventListener('change', paint);
  body.append(
    summary,
    el('div', 'filters', null, [
      search.wrap,
      data.roles ? null : el('div', 'check', null, [only, T('label', 'units.awaiting_only', null, null, { for: only.id })]),
    ]),
    showing,
    el('div', 'table-wrap', { role: 'region', 'aria-labelledby': 'units-caption', tabindex: '0' }, [tbl]),
  );
  paint(true);
  if (st.flash) tell(st.flash);
  st.flash = null;
}

// What a change to a unit came to, in the message at the top of its details.
function tell({ unit, text, error }) {
  const msg = document.getElementById(`msg-${unit}`);
  if (!msg) return;
  msg.textContent = text;
  msg.classList.toggle('error', !!error);
  focusOn(msg);
}

// A row's first cells: the unit's number, then (after its name) county and size.
const place = (u) => ({
  nr: el('td', null, null, [u.unit]),
  county: el('td', 'text', null, [u.county?.name || '']),
  size: el('td', 'text', null, [sizeText(u.size_band)]),
});

function roleRow(u, roles) {
  const { nr, county, size } = place(u);
  const status = new Map((u.recipients || []).map((r) => [r.role, r.status]));
  return el('tr', null, null, [
    nr, el('th', null, { scope: 'row' }, [u.name]), county, size,
    ...roles.map((r) => {
      const key = status.has(r) ? `recipient.${status.get(r)}` : 'recipient.none';
      return el('td', 'text', null, [has(key) ? t(key) : status.get(r)]);
    }),
  ]);
}

// A unit's row, and the row of its details below it (shown when opened).
function unitRows(u, ctx, st, columns, refresh) {
  const id = `unit-${u.unit}`;
  const open = st.open.has(u.unit);
  const detail = el('tr', 'detail', { id, hidden: !open }, [el('td', 'text', { colspan: columns }, [details(u, ctx, refresh)])]);
  const toggle = el('button', 'disclose', { type: 'button', 'aria-expanded': String(open), 'aria-controls': id }, [
    u.name, el('span', 'sr-only', null, [` – ${t('units.details', { name: u.name })}`]),
  ]);
  toggle.addEventListener('click', () => {
    const now = detail.hidden;
    detail.hidden = !now;
    toggle.setAttribute('aria-expanded', String(now));
    if (now) st.open.add(u.unit); else st.open.delete(u.unit);
  });
  const contacts = u.contacts || [];
  const waiting = awaiting(u);
  const verified = contacts.filter((c) => c.status === 'verified').length;
  const { nr, county, size } = place(u);
  const registered = u.registered !== false;
  const state = !registered ? t('units.unregistered') : u.closed_at ? t('units.closed', { at: fmtAt(u.closed_at) }) : t('units.open');
  return [
    el('tr', waiting ? 'waiting' : null, null, [
      nr, el('th', null, { scope: 'row' }, [toggle]), county, size,
      el('td', null, null, [u.expected_participants ? t('units.answers.of', { answers: num(u.answers), expected: num(u.expected_participants) }) : num(u.answers)]),
      el('td', 'text', null, [state]),
      el('td', 'text', null, [
        contacts.length ? t('units.contacts.count', { verified: num(verified) }) : t('units.contacts.none'),
        waiting ? el('span', 'badge', null, [t('units.contacts.awaiting', { n: num(waiting) })]) : null,
      ]),
    ]),
    detail,
  ];
}

// A change to the unit: POST, then the table again with what was said.
function change(ctx, u, refresh, sub, body, done) {
  return async () => {
    try {
      const out = await ctx.api(`/units/${encodeURIComponent(u.unit)}/${sub}`, body ?? {}, 'POST');
      await refresh(u.unit, done(out));
    } catch (e) {
      if (e.status !== 401) await refresh(u.unit, errorText(e), true);
    }
  };
}

// A button for a change; with `ask` ([question key, text key, yes key]) it asks first.
function action(labelKey, run, ask, vars, extraName) {
  const b = T('button', labelKey, null, 'btn compact', { type: 'button' });
  if (extraName) b.append(el('span', 'sr-only', null, [` ${extraName}`]));
  b.addEventListener('click', async () => {
    if (ask && !(await confirm(ask[0], vars, ask[1], ask[2]))) return;
    await busy(b.closest('.unit-detail'), run);
  });
  return b;
}

function details(u, ctx, refresh) {
  const msg = el('p', 'status-msg', { id: `msg-${u.unit}`, role: 'status', tabindex: '-1' });
  const may = ctx.mayChange;
  const unitName = `${u.name} (${u.unit})`;
  const registered = u.registered !== false;
  const contacts = (u.contacts || []).map((c) => el('li', null, null, [
    el('span', 'who', null, [el('strong', null, null, [c.name]), ' ', el('span', 'email', null, [c.email])]),
    el('span', `badge ${c.status}`, null, [t(`contact.${c.status}`)]),
    may && c.status === 'awaiting_approval'
      ? action('unit.approve', change(ctx, u, refresh, 'contacts/approve', { email: c.email }, () => t('unit.approved', { name: c.name })), null, null, c.name)
      : null,
    may ? action('unit.remove', change(ctx, u, refresh, 'contacts/remove', { email: c.email }, () => t('unit.removed', { name: c.name })),
      ['unit.remove.confirm', 'unit.remove.confirm.text', 'unit.remove.yes'], { name: c.name, unit: unitName }, c.name) : null,
  ]));
  const sections = [
    el('section', null, null, [
      T('h3', 'unit.contacts.h'),
      contacts.length ? el('ul', 'people', null, contacts) : T('p', 'unit.contacts.none'),
    ]),
    el('section', null, null, [
      T('h3', 'unit.domains.h'),
      (u.domains || []).length ? el('ul', null, null, u.domains.map((d) => el('li', null, null, [d]))) : T('p', 'unit.domains.none'),
      T('p', 'unit.domains.hint', null, 'hint'),
      may ? domainForm(ctx, u, refresh) : null,
    ]),
  ];
  if (registered) {
    sections.push(
      el('section', null, null, [
        T('h3', 'unit.code.h'),
        T('p', 'unit.code.hint', null, 'hint'),
        may ? el('div', 'actions', null, [
          action('unit.resend', change(ctx, u, refresh, 'code/resend', null, (out) => t('unit.resent', { n: num(out.sent) }))),
          action('unit.rotate', change(ctx, u, refresh, 'code/rotate', null, (out) => t('unit.rotated', { n: num(out.sent) })),
            ['unit.rotate.confirm', 'unit.rotate.confirm.text', 'unit.rotate.yes'], { unit: unitName }),
        ]) : null,
      ]),
      el('section', null, null, [
        T('h3', 'unit.state.h'),
        u.closed_at ? T('p', 'unit.state.closed', { at: fmtAt(u.closed_at) }) : T('p', 'unit.state.open'),
        !may ? null : u.closed_at
          ? action('unit.reopen', change(ctx, u, refresh, 'reopen', null, () => t('unit.reopened')))
          : action('unit.close', change(ctx, u, refresh, 'close', null, () => t('unit.closed_now')),
            ['unit.close.confirm', 'unit.close.confirm.text', 'unit.close.yes'], { unit: unitName }),
      ]),
    );
  } else sections.push(T('p', 'unit.not_registered', null, 'hint'));
  return el('div', 'unit-detail', null, [msg, ...sections]);
}

function domainForm(ctx, u, refresh) {
  const domain = field('unit.domain', { type: 'text', spellcheck: 'false', autocapitalize: 'off', placeholder: t('unit.domain.placeholder'), id: `domain-${u.unit}` });
  const form = el('form', 'domain-form', { novalidate: true }, [domain.wrap, T('button', 'unit.domain.add', null, 'btn compact', { type: 'submit' })]);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const value = domain.input.value.trim().replace(/^@/, '').toLowerCase();
    if (!/^[\p{L}\p{N}-]+(\.[\p{L}\p{N}-]+)+$/u.test(value)) {
      domain.setError(t('unit.domain.err'));
      focusOn(domain.input);
      return;
    }
    busy(form.closest('.unit-detail'), change(ctx, u, refresh, 'domains', { domain: value }, () => t('unit.domain.added', { domain: value })));
  });
  return form;
}
