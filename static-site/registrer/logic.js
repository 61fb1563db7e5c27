// Pure functions of the registration form (no DOM): unit search and the
// server's validation rules (shared/domain/src/contact.rs), so that the form
// says what is wrong before anything is sent.

export const MAX_CONTACTS = 4;

// Folds case and diacritics: "Tromsø" -> "tromso", "Ålesund" -> "alesund",
// "Grünerløkka" -> "grunerlokka", "Bærum" -> "baerum". `alt` gives the
// older spellings people type: ø -> oe, å -> aa.
export function fold(s, alt = false) {
  let x = String(s || '').toLowerCase();
  x = alt ? x.replace(/ø/g, 'oe').replace(/å/g, 'aa') : x.replace(/ø/g, 'o');
  x = x.replace(/æ/g, 'ae').normalize('NFD').replace(/[\u0300-\u036f]/g, '');
  return x.replace(/[^a-z0-9]+/g, ' ').trim();
}

// Prepares the unit list for search.
export function indexUnits(units) {
  return units.map((u) => ({ ...u, keys: [...new Set([fold(u.name), fold(u.name, true)])] }));
}

// Units matching `query` by name (start of the name first, then start of a
// word, then anywhere) or by number (from its start); best first.
export function searchUnits(index, query) {
  const q = fold(query);
  if (!q) return index.slice().sort(byName);
  const digits = /^\d+$/.test(q);
  const hits = [];
  for (const u of index) {
    let rank = -1;
    if (digits) {
      if (u.number.startsWith(q)) rank = 0;
    } else {
      for (const k of u.keys) {
        const r = k.startsWith(q) ? 0 : (' ' + k).includes(' ' + q) ? 1 : k.includes(q) ? 2 : -1;
        if (r >= 0 && (rank < 0 || r < rank)) rank = r;
      }
    }
    if (rank >= 0) hits.push([rank, u]);
  }
  hits.sort((a, b) => a[0] - b[0] || (digits ? a[1].number.localeCompare(b[1].number) : byName(a[1], b[1])));
  return hits.map((h) => h[1]);
}

const collator = typeof Intl !== 'undefined' ? new Intl.Collator('nb') : null;
function byName(a, b) {
  return collator ? collator.compare(a.name, b.name) || a.number.localeCompare(b.number) : a.name < b.name ? -1 : 1;
}

// The one unit whose name or number is exactly what was typed, if there is one.
export function exactUnit(index, query) {
  const q = fold(query);
  if (!q) return null;
  const hits = index.filter((u) => u.number === q || u.keys.includes(q));
  return hits.length === 1 ? hits[0] : null;
}

// ---------- the server's rules ----------

const tidy = (s) => String(s || '').split(/\s+/).filter(Boolean).join(' ');

// null when valid, else the error key.
export function checkName(v) {
  const n = tidy(v);
  if (!n) return 'name.required';
  // eslint-disable-next-line no-control-regex
  if ([...n].length > 100 || /[\u0000-\u001f\u007f-\u009f]/.test(n)) return 'name.invalid';
  return null;
}

export function checkEmail(v) {
  const e = String(v || '').trim().toLowerCase();
  if (!e) return 'email.required';
  const at = e.indexOf('@');
  if (at < 0 || new TextEncoder().encode(e).length > 254) return 'email.invalid';
  const local = e.slice(0, at);
  const domain = e.slice(at + 1);
  const domainOk = domain.includes('.') && !domain.startsWith('.') && !domain.endsWith('.') &&
    !domain.includes('..') && /^[\p{L}\p{N}.-]+$/u.test(domain);
  // eslint-disable-next-line no-control-regex
  const localOk = local.length > 0 && !/[\s\u0000-\u001f\u007f-\u009f<>@,;:"()[\]\\]/u.test(local);
  return domainOk && localOk ? null : 'email.invalid';
}

// An empty phone is fine: it is optional.
export function checkPhone(v) {
  const p = String(v || '').trim();
  if (!p) return null;
  const digits = (p.match(/[0-9]/g) || []).length;
  return /^\+?[0-9 ]+$/.test(p) && digits >= 8 && digits <= 15 ? null : 'phone.invalid';
}

// Returns [errorKey|null, value|undefined].
export function checkExpected(v) {
  const s = String(v || '').replace(/[\s\u00a0]/g, '');
  if (!s) return [null, undefined];
  if (!/^[0-9]+$/.test(s)) return ['expected.invalid'];
  const n = Number(s);
  return n >= 1 && n <= 10000 ? [null, n] : ['expected.invalid'];
}

export const emailKey = (v) => String(v || '').trim().toLowerCase();

// Field errors of the whole form as [{field: JSON pointer, key}] in page order,
// and the request body when there are none.
export function validate({ surveyId, unit, contacts, expected }) {
  const errors = [];
  if (!unit) errors.push({ field: '/unit', key: 'unit.required' });
  if (!contacts.length) errors.push({ field: '/contacts', key: 'no_contacts' });
  const seen = new Set();
  contacts.forEach((c, i) => {
    const n = checkName(c.name);
    if (n) errors.push({ field: `/contacts/${i}/name`, key: n });
    let e = checkEmail(c.email);
    if (!e) {
      if (seen.has(emailKey(c.email))) e = 'email.duplicate';
      seen.add(emailKey(c.email));
    }
    if (e) errors.push({ field: `/contacts/${i}/email`, key: e });
    const p = checkPhone(c.phone);
    if (p) errors.push({ field: `/contacts/${i}/phone`, key: p });
  });
  const [x, count] = checkExpected(expected);
  if (x) errors.push({ field: '/expected_participants', key: x });
  if (errors.length) return { errors };
  const body = {
    survey_id: surveyId,
    unit: unit.number,
    contacts: contacts.map((c) => {
      const o = { name: tidy(c.name), email: String(c.email).trim() };
      if (String(c.phone || '').trim()) o.phone = String(c.phone).trim();
      return o;
    }),
  };
  if (count !== undefined) body.expected_participants = count;
  return { errors, body };
}

// The error key for an error code of the API.
export function serverErrorKey(code, status) {
  const known = {
    invalid_unit: 'unit.invalid',
    invalid_email: 'email.invalid',
    invalid_name: 'name.invalid',
    invalid_phone: 'phone.invalid',
    invalid_expected_participants: 'expected.invalid',
    no_contacts: 'no_contacts',
    too_many_contacts: 'too_many_contacts',
    unknown_field: 'unknown_field',
    malformed_json: 'unknown_field',
    unknown_survey: 'unknown_survey',
    registration_closed: 'registration_closed',
    rate_limited: 'rate_limited',
    network: 'network',
  };
  if (known[code]) return known[code];
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'server';
  return 'generic';
}
