// Black-box tests of ../shared/CONTRACT.md's HTTP API and admin CLI against a
// running local stack (tests/with-local-stack.sh starts one). Every error case
// checks its status and error code, and that nothing was stored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { ADMIN, BASE, CODE, admin, call, count, ulid } from './support.mjs';

assert.ok(BASE && CODE && ADMIN, 'BASE_URL, ACCESS_CODE and SURVEY_ADMIN must be set');

const adminFails = (...args) => {
  try {
    execFileSync(ADMIN, args, { encoding: 'utf8', stdio: 'pipe' });
  } catch (err) {
    return err.stderr;
  }
  assert.fail(`survey-admin ${args.join(' ')} should have failed`);
};

let questionnaire;
async function validAnswers(group = 'intro') {
  questionnaire ??= (await call('GET', '/api/surveys/local/questionnaire')).json;
  const answers = {};
  for (const q of questionnaire.questions) {
    if (q.show_if) {
      const given = answers[q.show_if.question];
      const values = Array.isArray(given) ? given : [given];
      if (!values.some((v) => q.show_if.any_of.includes(v))) continue;
    }
    const pick = q.id === 'q_group' ? group : q.options.find((o) => !o.ends_survey).value;
    answers[q.id] = q.type === 'multi' ? [pick] : pick;
  }
  return answers;
}

async function submission(overrides = {}) {
  return { survey_id: 'local', access_code: CODE, submission_id: ulid(), language: 'nb', answers: await validAnswers(), ...overrides };
}

test('health answers ok', async () => {
  const res = await call('GET', '/api/health');
  assert.equal(res.status, 200);
  assert.deepEqual(res.json, { status: 'ok' });
});

test('the survey lists its settings and languages', async () => {
  const res = await call('GET', '/api/surveys/local');
  assert.equal(res.status, 200);
  for (const field of ['survey_id', 'opens_at', 'closes_at', 'registration_deadline', 'results_until', 'min_respondents', 'status', 'languages']) {
    assert.ok(field in res.json, field);
  }
  assert.equal(res.json.status, 'open');
  assert.equal(res.json.min_respondents, 10);
  assert.equal(res.json.languages.length, 24);
  assert.deepEqual(res.json.languages.slice(0, 3).map((l) => l.code), ['nb', 'nn', 'en']);
  assert.deepEqual(res.json.languages.filter((l) => l.dir === 'rtl').map((l) => l.code), ['ar', 'prs', 'fa', 'ps', 'ckb', 'ur']);
  assert.ok(res.json.languages.every((l) => l.native_name && ['ltr', 'rtl'].includes(l.dir)));
  const unknown = await call('GET', '/api/surveys/no-such-wave');
  assert.equal(unknown.status, 404);
  assert.equal(unknown.json.error.code, 'unknown_survey');
  assert.ok(unknown.json.error.message);
});

test('the questionnaire has the contract shape and no free text', async () => {
  const res = await call('GET', '/api/surveys/local/questionnaire');
  assert.equal(res.status, 200);
  assert.ok(res.json.version);
  assert.ok(res.json.questions.length >= 30 && res.json.questions.length <= 45);
  for (const q of res.json.questions) {
    assert.ok(['single', 'multi', 'scale'].includes(q.type), q.id);
    assert.equal(typeof q.required, 'boolean');
    assert.ok(q.options.every((o) => typeof o.value === 'string' && typeof o.ends_survey === 'boolean'), q.id);
  }
  assert.ok(res.json.questions.some((q) => q.show_if?.question === 'q_group'));
  assert.equal((await call('GET', '/api/surveys/nope/questionnaire')).json.error.code, 'unknown_survey');
});

test('texts for the page are published under /content/{survey}/', async () => {
  for (const lang of ['nb', 'en', 'ar', 'ti', 'my']) {
    const res = await call('GET', `/content/local/i18n/${lang}.json`);
    assert.equal(res.status, 200);
    assert.equal(res.json.lang, lang);
    assert.ok(res.json.strings['q.q_group.text']);
  }
});

test('codes are validated forgivingly', async () => {
  const loose = CODE.toLowerCase().replaceAll('-', ' ').replaceAll('0', 'o').replaceAll('1', 'l');
  const res = await call('POST', '/api/codes/validate', { access_code: loose });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.survey_id, 'local');
  assert.deepEqual(res.json.unit, { number: '4601', name: 'Bergen', county: 'Vestland' });
  assert.equal(res.json.status, 'open');
  assert.ok(Date.parse(res.json.closes_at));
});

test('bad code requests get their error codes', async () => {
  const cases = [
    [{ access_code: 'ABC' }, 400, 'malformed_code'],
    [{ access_code: CODE.slice(0, -1) + (CODE.endsWith('Z') ? 'Y' : 'Z') }, 400, 'malformed_code'],
    [{ access_code: 'ZZZZ-ZZZZ-ZZA' }, 404, 'unknown_code'],
    [{ access_code: CODE, extra: true }, 400, 'unknown_field'],
    ['{"access_code":', 400, 'malformed_json'],
    [JSON.stringify({ access_code: 'x'.repeat(70 * 1024) }), 413, null],
  ];
  for (const [body, status, code] of cases) {
    const res = await call('POST', '/api/codes/validate', body);
    assert.equal(res.status, status, JSON.stringify(body).slice(0, 60));
    assert.ok(res.json?.error?.message, 'a JSON error body');
    if (code) assert.equal(res.json.error.code, code);
  }
});

test('a submission is stored once; repeats are duplicates; another body is a conflict', async () => {
  const before = count();
  const body = await submission();
  const first = await call('POST', '/api/responses', body);
  assert.equal(first.status, 201, first.text);
  assert.equal(first.json.duplicate, false);
  assert.ok(first.json.receipt);
  const again = await call('POST', '/api/responses', body);
  assert.equal(again.status, 200);
  assert.deepEqual(again.json, { receipt: first.json.receipt, duplicate: true });
  const other = await call('POST', '/api/responses', { ...body, answers: { ...body.answers, q_nytte_1: body.answers.q_nytte_1 === '5' ? '4' : '5' } });
  assert.equal(other.status, 409);
  assert.equal(other.json.error.code, 'submission_conflict');
  assert.equal(count(), before + 1);
});

test('five concurrent copies of one submission store exactly one answer', async () => {
  const before = count();
  const body = await submission();
  const results = await Promise.all(Array.from({ length: 5 }, () => call('POST', '/api/responses', body)));
  // Against DynamoDB exactly one copy is told "created" (its conditional put is
  // atomic; the in-memory handler tests check that); moto serves requests on
  // threads and may tell more. What is stored must be exact either way.
  assert.ok(results.every((r) => r.status === 200 || r.status === 201) && results.some((r) => r.status === 201));
  assert.equal(new Set(results.map((r) => r.json.receipt)).size, 1);
  assert.equal(count(), before + 1);
});

test('every bad submission gets its error code and stores nothing', async () => {
  const base = await submission();
  const without = (key) => Object.fromEntries(Object.entries(base.answers).filter(([k]) => k !== key));
  const cases = [
    ['unknown field', { ...base, user_agent: 'x' }, 400, 'unknown_field'],
    ['unknown question', { ...base, answers: { ...base.answers, q_fritekst: 'hei' } }, 400, 'invalid_answer', '/answers/q_fritekst'],
    ['value not an option', { ...base, answers: { ...base.answers, q_nytte_1: '9' } }, 400, 'invalid_answer', '/answers/q_nytte_1'],
    ['missing required answer', { ...base, answers: without('q_nytte_1') }, 400, 'invalid_answer', '/answers/q_nytte_1'],
    ['hidden question answered', { ...base, answers: { ...base.answers, q_group: 'training' } }, 400, 'invalid_answer'],
    ['on leave', { ...base, answers: { ...base.answers, q_leave: 'yes' } }, 400, 'invalid_answer', '/answers/q_leave'],
    ['multi as a string', { ...base, answers: { ...base.answers, q_digital_devices: 'pc' } }, 400, 'invalid_answer', '/answers/q_digital_devices'],
    ['unknown language', { ...base, language: 'xx' }, 400, 'unknown_language'],
    ['unknown code', { ...base, access_code: 'ZZZZ-ZZZZ-ZZA' }, 404, 'unknown_code'],
    ['malformed json', '{"survey_id":"local",', 400, 'malformed_json'],
    ['too large', JSON.stringify({ ...base, padding: 'x'.repeat(70 * 1024) }), 413, null],
  ];
  const before = count();
  for (const [name, body, status, code, field] of cases) {
    const res = await call('POST', '/api/responses', body);
    assert.equal(res.status, status, `${name}: ${res.text}`);
    assert.ok(res.json?.error?.message, `${name}: JSON error body`);
    if (code) assert.equal(res.json.error.code, code, name);
    if (field) assert.equal(res.json.error.field, field, name);
  }
  assert.equal(count(), before, 'nothing was stored');
});

test('the window is enforced: upcoming, closed, and a unit closed early', async () => {
  const suffix = Date.now().toString(36);
  const day = 24 * 3600 * 1000;
  const iso = (ms) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
  const now = Date.now();

  const upcoming = `upcoming-${suffix}`;
  admin('survey', 'create', '--survey', upcoming, '--opens', iso(now + day), '--closes', iso(now + 30 * day));
  const upcomingCode = admin('registration', 'add', '--survey', upcoming, '--unit', '030112', '--contact', 'Kari <kari@example.org>');
  assert.equal(admin('code', 'show', '--survey', upcoming, '--unit', '030112'), upcomingCode);
  const validated = await call('POST', '/api/codes/validate', { access_code: upcomingCode });
  assert.equal(validated.json.status, 'upcoming');
  let res = await call('POST', '/api/responses', await submission({ survey_id: upcoming, access_code: upcomingCode }));
  assert.equal(res.status, 403);
  assert.equal(res.json.error.code, 'survey_not_open');

  admin('survey', 'window', '--survey', upcoming, '--opens', iso(now - day));
  assert.equal(JSON.parse(admin('survey', 'show', '--survey', upcoming)).status, 'open');
  const early = await submission({ survey_id: upcoming, access_code: upcomingCode });
  res = await call('POST', '/api/responses', early);
  assert.equal(res.status, 201, res.text);

  admin('unit', 'close', '--survey', upcoming, '--unit', '030112');
  assert.equal((await call('POST', '/api/codes/validate', { access_code: upcomingCode })).json.status, 'closed');
  res = await call('POST', '/api/responses', await submission({ survey_id: upcoming, access_code: upcomingCode }));
  assert.equal(res.status, 403);
  assert.equal(res.json.error.code, 'survey_closed');
  res = await call('POST', '/api/responses', early);
  assert.equal(res.status, 200, 'a lost receipt can still be fetched after the close');

  admin('survey', 'window', '--survey', upcoming, '--closes', iso(now - 1000), '--opens', iso(now - 2 * day), '--registration-deadline', iso(now - 2 * day));
  assert.equal(JSON.parse(admin('survey', 'show', '--survey', upcoming)).status, 'closed');
  assert.equal(count(upcoming), 1);
});

test('the admin CLI refuses what makes no sense, on stderr with a non-zero exit', () => {
  assert.match(adminFails('survey', 'show', '--survey', 'no-such-wave'), /finnes ingen undersøkelse/);
  assert.match(adminFails('survey', 'create', '--survey', 'local', '--opens', '2026-10-10T00:00:00Z', '--closes', '2026-12-31T23:00:00Z'), /finnes allerede/);
  assert.match(adminFails('survey', 'create', '--survey', 'bad-window', '--opens', '2026-12-31T00:00:00Z', '--closes', '2026-10-10T00:00:00Z'), /runden må åpne før den stenger/);
  assert.match(adminFails('code', 'show', '--survey', 'local', '--unit', '9999'), /ikke et kommunenummer/);
  assert.match(adminFails('registration', 'add', '--survey', 'local', '--unit', '4601', '--contact', 'no-address'), /Navn <e-post>/);
  const webinar = JSON.parse(admin('survey', 'webinar', '--survey', 'local', '--at', '2026-12-01T10:00:00+01:00', '--url', 'https://example.org/webinar'));
  assert.equal(webinar.webinar.url, 'https://example.org/webinar');
});

test('the admin CLI into a pipe its reader has closed (| head) exits quietly', () => {
  // `true` has exited long before survey-admin has asked the store, so its write meets a closed pipe.
  const script = 'set -o pipefail; "$0" survey show --survey local | true; echo "exit $?" >&2';
  const run = spawnSync('bash', ['-c', script, ADMIN], { encoding: 'utf8' });
  assert.doesNotMatch(run.stderr, /panicked/);
  assert.match(run.stderr, /^exit 0$/m);
});

async function freePort() {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => { const { port } = server.address(); server.close(() => resolve(port)); });
  });
}

// Counts of wrong codes live in the shared local stack now, as in DynamoDB: a
// HASH_KEY of its own keys this gateway's per-address counts apart from the
// other tests' (all come from 127.0.0.1). Every request forges a new
// CloudFront-Viewer-Address and an X-Origin-Verify: neither may spread the
// guesses over many addresses.
test('guessing codes is rate limited, in a gateway of its own', async () => {
  const port = await freePort();
  const env = { ...process.env, PORT: String(port), HASH_KEY: `rate-limit-test-${process.pid}-${Date.now()}` };
  const gateway = spawn(ADMIN.replace(/survey-admin$/, 'local-gateway'), [], { env, stdio: 'ignore' });
  try {
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 100; i++) {
      try { if ((await fetch(`${base}/api/health`)).ok) break; } catch { /* not listening yet */ }
      await new Promise((r) => setTimeout(r, 100));
    }
    // The counts are kept per fixed minute: 25 guesses across a minute's end
    // would be counted in two windows, so start where the minute has room.
    const left = 60e3 - (Date.now() % 60e3);
    if (left < 15e3) await new Promise((r) => setTimeout(r, left + 100));
    const statuses = [];
    for (let i = 0; i < 25; i++) {
      const headers = {
        'content-type': 'application/json',
        'cloudfront-viewer-address': `198.51.100.${i}:443`,
        'x-origin-verify': i % 2 ? 'forged' : '',
      };
      const res = await fetch(`${base}/api/codes/validate`, { method: 'POST', headers, body: JSON.stringify({ access_code: 'ZZZZ-ZZZZ-ZZA' }) });
      statuses.push(res.status);
      if (res.status === 429) {
        assert.equal((await res.json()).error.code, 'rate_limited');
        assert.ok(Number(res.headers.get('retry-after')) > 0);
      }
    }
    assert.equal(statuses.filter((s) => s === 404).length, 20);
    assert.equal(statuses.filter((s) => s === 429).length, 5);
  } finally {
    gateway.kill();
  }
});
