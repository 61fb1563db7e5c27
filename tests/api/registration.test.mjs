// Black-box tests of registration and e-mail verification (CONTRACT.md's
// /api/registrations rows) against a running local stack, reading the sent
// e-mails back from moto's SES.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ADMIN, AWS, BASE, admin, call, codeIn, mailsTo, sentTo, settled, subject, tokenIn } from './support.mjs';

assert.ok(BASE && AWS && ADMIN, 'BASE_URL, AWS_ENDPOINT_URL and SURVEY_ADMIN must be set');

const unique = () => randomBytes(4).toString('hex');


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
  admin('domain', 'allow', '--survey', survey, '--unit', '3301', '--domain', 'example.org');
  const kari = contact(unique());
  const ola = contact(unique());
  const res = await call('POST', '/api/registrations', { survey_id: survey, unit: '3301', contacts: [kari, ola], expected_participants: 25 });
  assert.equal(res.status, 202, res.text);
  assert.equal(res.json.status, 'pending_verification');
  assert.ok(res.json.registration_id);

  const [verification] = await mailsTo(kari.email, subject('Bekreft'));
  assert.match(verification.subject, /Bekreft e-postadressen/);
  assert.ok(verification.body.includes(`${BASE}/registrer/bekreft/?token=`));
  const verified = await call('GET', `/api/registrations/verify?token=${tokenIn(verification)}`);
  assert.equal(verified.status, 200, verified.text);
  assert.deepEqual(verified.json, { status: 'verified', survey_id: survey, unit: { number: '3301', name: 'Drammen', county: 'Buskerud' } });

  const [codeMail] = await mailsTo(kari.email, subject('Tilgangskode'));
  const code = codeIn(codeMail);
  for (const needle of [`${BASE}/?code=${code.replaceAll('-', '')}`, `/ark/?survey=${survey}&amp;unit=Drammen#code=${code}`, '/?demo=1', 'hodetelefoner', 'SMS', 'minst 10',
    `${BASE}/resultater/?survey=${survey}&amp;unit=3301`, `${BASE}/kommune/?survey=${survey}`, 'på 24 språk']) {
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
  const [olaCode] = await mailsTo(ola.email, subject('Tilgangskode'));
  assert.equal(codeIn(olaCode), code, 'a contact who verifies later gets the same code');
});

test('registering a known address again looks the same; only verified contacts hold the four places, and every typed address needs one', async () => {
  const survey = newWave();
  admin('domain', 'allow', '--survey', survey, '--unit', '4601', '--domain', 'example.org');
  const squatters = [1, 2, 3, 4].map(() => ({ name: 'Ukjent', email: `squat-${unique()}@elsewhere.example.net` }));
  assert.equal((await call('POST', '/api/registrations', { survey_id: survey, unit: '4601', contacts: squatters })).status, 202);

  const kari = contact(unique());
  const first = await call('POST', '/api/registrations', { survey_id: survey, unit: '4601', contacts: [kari] });
  const again = await call('POST', '/api/registrations', { survey_id: survey, unit: '4601', contacts: [kari] });
  assert.deepEqual([first.status, again.status], [202, 202], 'four unconfirmed addresses do not block the unit');
  assert.deepEqual(Object.keys(first.json).sort(), Object.keys(again.json).sort());
  const three = [1, 2, 3].map(() => contact(unique()));
  assert.equal((await call('POST', '/api/registrations', { survey_id: survey, unit: '4601', contacts: three })).status, 202);
  for (const who of [kari, ...three]) {
    const [link] = await mailsTo(who.email, subject('Bekreft'));
    assert.equal((await call('GET', `/api/registrations/verify?token=${tokenIn(link)}`)).json.status, 'verified');
  }
  // The probe of the access audit, with the unit full (k = 4, so no fresh
  // addresses beside the one tested): a verified contact's address and a
  // stranger's get the same answer, as every typed address takes a place.
  const known = await call('POST', '/api/registrations', { survey_id: survey, unit: '4601', contacts: [kari] });
  const fifth = await call('POST', '/api/registrations', { survey_id: survey, unit: '4601', contacts: [contact(unique())] });
  assert.equal(fifth.status, 400);
  assert.equal(fifth.json.error.code, 'too_many_contacts');
  assert.deepEqual([known.status, known.json], [fifth.status, fifth.json], 'the answer tells a verified address from a stranger\'s');
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
  await settled();
  assert.equal((await sentTo(who.email)).length, 0);
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
  await settled();
  assert.equal((await sentTo(who.email)).length, 0);
  const code = admin('registration', 'add', '--survey', id, '--unit', '4601', '--contact', `Telefon Registrert <${who.email}>`);
  assert.match(code, /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{3}$/);
  const [mail] = await mailsTo(who.email, subject('Tilgangskode'));
  assert.equal(codeIn(mail), code, 'a phone registration gets the code e-mail');
});

test('attack: a stranger proves an address for Kongsvinger and gets no code until a real contact approves', async () => {
  const survey = newWave();
  admin('domain', 'allow', '--survey', survey, '--unit', '3401', '--domain', 'kongsvinger.example.org');
  const kari = { name: 'Kari Kontakt', email: `kari-${unique()}@kongsvinger.example.org` };
  await call('POST', '/api/registrations', { survey_id: survey, unit: '3401', contacts: [kari], expected_participants: 30 });
  await call('GET', `/api/registrations/verify?token=${tokenIn((await mailsTo(kari.email))[0])}`);
  const [kariCode] = await mailsTo(kari.email, subject('Tilgangskode'));

  const mallory = { name: 'Mallory', email: `mallory-${unique()}@evil.example.org` };
  const res = await call('POST', '/api/registrations', { survey_id: survey, unit: '3401', contacts: [mallory], expected_participants: 9999 });
  assert.equal(res.status, 202);
  const opened = await call('GET', `/api/registrations/verify?token=${tokenIn((await mailsTo(mallory.email))[0])}`);
  assert.equal(opened.json.status, 'awaiting_approval');
  await mailsTo(mallory.email, subject('Venter på godkjenning'));
  const [ask] = await mailsTo(kari.email, subject('Godkjenne ny kontaktperson'));
  assert.ok(ask.body.includes(`«${mallory.email}»`), 'the real contact sees who asks');
  assert.ok(!(await sentTo(mallory.email)).some((m) => m.subject.startsWith('Tilgangskode')), 'no code for the stranger');
  const listed = admin('contact', 'list', '--survey', survey, '--unit', '3401').split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(listed.map((c) => c.status).sort(), ['awaiting_approval', 'verified']);
  const access = await call('POST', '/api/results/access', { survey_id: survey, unit: '3401', email: mallory.email });
  assert.equal(access.status, 202);
  await settled();
  assert.ok(!(await sentTo(mallory.email)).some((m) => m.subject.startsWith('Resultater')), 'no results link either');

  const approved = await call('GET', `/api/registrations/approve?token=${tokenIn(ask)}`);
  assert.equal(approved.json.status, 'verified');
  const [malloryCode] = await mailsTo(mallory.email, subject('Tilgangskode'));
  assert.equal(codeIn(malloryCode), codeIn(kariCode));
  await mailsTo(kari.email, subject('Ny kontaktperson'));

  admin('contact', 'remove', '--survey', survey, '--unit', '3401', '--email', mallory.email);
  const rotated = admin('code', 'rotate', '--survey', survey, '--unit', '3401');
  assert.notEqual(rotated, codeIn(kariCode));
  const [newCode] = await mailsTo(kari.email, subject('Ny tilgangskode'));
  assert.equal(codeIn(newCode), rotated);
  const old = await call('POST', '/api/codes/validate', { access_code: codeIn(kariCode) });
  assert.equal(old.status, 404, 'the leaked code stops working');
  assert.ok(!(await sentTo(mallory.email)).some((m) => m.subject.startsWith('Ny tilgangskode')), 'a removed contact gets no new code');
});

test('attack: a contact IMDi removed registers again from an allowed domain and waits for approval', async () => {
  const survey = newWave();
  admin('domain', 'allow', '--survey', survey, '--unit', '3401', '--domain', 'kongsvinger.example.org');
  const kari = { name: 'Kari Kontakt', email: `kari-${unique()}@kongsvinger.example.org` };
  const ola = { name: 'Ola Kontakt', email: `ola-${unique()}@kongsvinger.example.org` };
  const first = await call('POST', '/api/registrations', { survey_id: survey, unit: '3401', contacts: [kari, ola] });
  for (const who of [kari, ola]) {
    const [link] = await mailsTo(who.email, subject('Bekreft'));
    assert.equal((await call('GET', `/api/registrations/verify?token=${tokenIn(link)}`)).json.status, 'verified');
  }
  await mailsTo(ola.email, subject('Tilgangskode'));
  admin('contact', 'remove', '--survey', survey, '--unit', '3401', '--email', ola.email);

  const again = await call('POST', '/api/registrations', { survey_id: survey, unit: '3401', contacts: [ola] });
  assert.deepEqual([again.status, again.json.status], [first.status, first.json.status], 'answered as any registration');
  const links = await mailsTo(ola.email, { ...subject('Bekreft'), count: 2 });
  const opened = await call('GET', `/api/registrations/verify?token=${tokenIn(links.at(-1))}`);
  assert.equal(opened.json.status, 'awaiting_approval', 'the domain admitted a removed contact again');
  await mailsTo(kari.email, subject('Godkjenne ny kontaktperson'));
  const listed = admin('contact', 'list', '--survey', survey, '--unit', '3401').split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(listed.map((c) => [c.email, c.status]).sort(), [[kari.email, 'verified'], [ola.email, 'awaiting_approval']].sort());
  await settled();
  assert.equal((await sentTo(ola.email)).filter((m) => m.subject.startsWith('Tilgangskode')).length, 1, 'no code again');

  admin('contact', 'approve', '--survey', survey, '--unit', '3401', '--email', ola.email);
  await mailsTo(ola.email, { ...subject('Tilgangskode'), count: 2 });
});

test('IMDi approves the first contact of a unit whose domain it does not know', async () => {
  const survey = newWave();
  const first = contact(unique());
  await call('POST', '/api/registrations', { survey_id: survey, unit: '5501', contacts: [first] });
  const opened = await call('GET', `/api/registrations/verify?token=${tokenIn((await mailsTo(first.email))[0])}`);
  assert.equal(opened.json.status, 'awaiting_approval');
  const [waiting] = await mailsTo(first.email, subject('Venter på godkjenning'));
  assert.ok(waiting.body.includes('IMDi godkjenner deg'));
  admin('contact', 'approve', '--survey', survey, '--unit', '5501', '--email', first.email);
  await mailsTo(first.email, subject('Tilgangskode'));
  assert.equal(JSON.parse(admin('contact', 'list', '--survey', survey, '--unit', '5501')).status, 'verified');
});

test('verify refuses bad tokens', async () => {
  for (const [token, status] of [['', 400], ['abc', 400], ['0'.repeat(64), 400]]) {
    const res = await call('GET', `/api/registrations/verify?token=${token}`);
    assert.equal(res.status, status, token);
    assert.equal(res.json.error.code, 'invalid_token');
  }
});
