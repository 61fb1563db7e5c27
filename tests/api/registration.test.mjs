// Black-box tests of registration and e-mail verification (CONTRACT.md's
// /api/registrations rows) against a running local stack, reading the sent
// e-mails back from moto's SES.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ADMIN, AWS, BASE, admin, call } from './support.mjs';

assert.ok(BASE && AWS && ADMIN, 'BASE_URL, AWS_ENDPOINT_URL and SURVEY_ADMIN must be set');

const unique = () => randomBytes(4).toString('hex');

async function mailsTo(address) {
  const data = await (await fetch(`${AWS}/moto-api/data.json`)).json();
  return data.ses.Message.filter((m) => JSON.stringify(m.destinations).includes(address));
}

const tokenIn = (mail) => mail.body.match(/token=([0-9a-f]{64})/)[1];
const codeIn = (mail) => mail.body.match(/[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{3}/)[0];

// Each test registers its own unit in its own wave, so tests never share state.
function newWave() {
  const id = `reg-${unique()}`;
  const now = Date.now();
  const iso = (ms) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
  admin('survey', 'create', '--survey', id, '--opens', iso(now - 3600e3), '--closes', iso(now + 30 * 86400e3));
  return id;
}

const contact = (tag) => ({ name: `Kontakt ${tag}`, email: `kontakt-${tag}@example.org` });

test('register, find the e-mail in SES, open the link, get the code, validate it', async () => {
  const survey = newWave();
  const kari = contact(unique());
  const ola = contact(unique());
  const res = await call('POST', '/api/registrations', { survey_id: survey, unit: '3301', contacts: [kari, ola], expected_participants: 25 });
  assert.equal(res.status, 202, res.text);
  assert.equal(res.json.status, 'pending_verification');
  assert.ok(res.json.registration_id);

  const [verification] = await mailsTo(kari.email);
  assert.match(verification.subject, /Bekreft e-postadressen/);
  assert.ok(verification.body.includes(`${BASE}/registrer/bekreft/?token=`));
  const verified = await call('GET', `/api/registrations/verify?token=${tokenIn(verification)}`);
  assert.equal(verified.status, 200, verified.text);
  assert.deepEqual(verified.json, { status: 'verified', survey_id: survey, unit: { number: '3301', name: 'Drammen', county: 'Buskerud' } });

  const codeMail = (await mailsTo(kari.email)).find((m) => m.subject.startsWith('Tilgangskode'));
  const code = codeIn(codeMail);
  for (const needle of [`${BASE}/?code=${code.replaceAll('-', '')}`, '/ark/?code=', '/?demo=1', 'hodetelefoner', 'SMS', 'minst 10']) {
    assert.ok(codeMail.body.includes(needle), needle);
  }
  const validated = await call('POST', '/api/codes/validate', { access_code: code });
  assert.equal(validated.status, 200);
  assert.equal(validated.json.unit.name, 'Drammen');
  assert.equal(admin('code', 'show', '--survey', survey, '--unit', '3301'), code);

  const again = await call('GET', `/api/registrations/verify?token=${tokenIn(verification)}`);
  assert.equal(again.status, 410);
  assert.equal(again.json.error.code, 'invalid_token');

  const [olaLink] = await mailsTo(ola.email);
  await call('GET', `/api/registrations/verify?token=${tokenIn(olaLink)}`);
  const olaCode = (await mailsTo(ola.email)).find((m) => m.subject.startsWith('Tilgangskode'));
  assert.equal(codeIn(olaCode), code, 'a contact who verifies later gets the same code');
});

test('registering a known address again looks the same and adds nobody', async () => {
  const survey = newWave();
  const kari = contact(unique());
  const first = await call('POST', '/api/registrations', { survey_id: survey, unit: '4601', contacts: [kari] });
  const again = await call('POST', '/api/registrations', { survey_id: survey, unit: '4601', contacts: [kari] });
  assert.deepEqual([first.status, again.status], [202, 202]);
  assert.deepEqual(Object.keys(first.json).sort(), Object.keys(again.json).sort());
  const three = [1, 2, 3].map(() => contact(unique()));
  const tooMany = await call('POST', '/api/registrations', { survey_id: survey, unit: '4601', contacts: [...three, kari] });
  assert.equal(tooMany.status, 202, 'the known address does not count twice');
  const fifth = await call('POST', '/api/registrations', { survey_id: survey, unit: '4601', contacts: [contact(unique())] });
  assert.equal(fifth.status, 400);
  assert.equal(fifth.json.error.code, 'too_many_contacts');
});

test('every registration error of the contract, with nothing sent', async () => {
  const survey = newWave();
  const who = contact(unique());
  const ok = { survey_id: survey, unit: '4601', contacts: [who] };
  const cases = [
    ['invalid unit', { ...ok, unit: '0000' }, 400, 'invalid_unit', '/unit'],
    ['invalid email', { ...ok, contacts: [{ name: 'X', email: 'x@' }] }, 400, 'invalid_email', '/contacts/0/email'],
    ['no contacts', { ...ok, contacts: [] }, 400, 'no_contacts'],
    ['too many contacts', { ...ok, contacts: [1, 2, 3, 4, 5].map((i) => ({ name: 'X', email: `${i}-${who.email}` })) }, 400, 'too_many_contacts'],
    ['unknown field', { ...ok, note: 'x' }, 400, 'unknown_field'],
    ['malformed json', '{"survey_id":', 400, 'malformed_json'],
  ];
  for (const [name, body, status, code, field] of cases) {
    const res = await call('POST', '/api/registrations', body);
    assert.equal(res.status, status, `${name}: ${res.text}`);
    assert.equal(res.json.error.code, code, name);
    assert.ok(res.json.error.message, name);
    if (field) assert.equal(res.json.error.field, field, name);
  }
  assert.equal((await mailsTo(who.email)).length, 0);
});

test('after the deadline registration is closed, but the admin CLI can still register', async () => {
  const id = `closed-${unique()}`;
  const now = Date.now();
  const iso = (ms) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
  admin('survey', 'create', '--survey', id, '--opens', iso(now + 86400e3), '--closes', iso(now + 30 * 86400e3), '--registration-deadline', iso(now - 60e3));
  const who = contact(unique());
  const res = await call('POST', '/api/registrations', { survey_id: id, unit: '4601', contacts: [who] });
  assert.equal(res.status, 409);
  assert.equal(res.json.error.code, 'registration_closed');
  assert.equal((await mailsTo(who.email)).length, 0);
  const code = admin('registration', 'add', '--survey', id, '--unit', '4601', '--contact', `Telefon Registrert <${who.email}>`);
  assert.match(code, /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{3}$/);
});

test('verify refuses bad tokens', async () => {
  for (const [token, status] of [['', 400], ['abc', 400], ['0'.repeat(64), 400]]) {
    const res = await call('GET', `/api/registrations/verify?token=${token}`);
    assert.equal(res.status, status, token);
    assert.equal(res.json.error.code, 'invalid_token');
  }
});
