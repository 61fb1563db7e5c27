// A survey the code has never heard of, end to end on the local stack: the
// course survey in tests/definitions/kursundersokelse exists only as test data
// (the stack reads it through SURVEY_DEFINITIONS). It has its own grouping
// question with four categories and two published groups, two indices on a
// 1-4 scale and five units of its own. A wave is made of it with survey-admin,
// a participant answers on a phone in Chromium, more answers come through the
// API, the wave closes and is aggregated, a contact reads the report through
// the API and on the results page, and IMDi fetches the bundle.
//
// Env (set by tests/with-local-stack.sh): BASE_URL, SURVEY_ADMIN, AWS_ENDPOINT_URL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { admin, call, mailsTo, ulid } from '../api/support.mjs';
import { BASE, getJSON, launch, strictPage } from './pages.mjs';

const DEFINITION = 'kursundersokelse';
const FOLDER = new URL(`../definitions/${DEFINITION}/`, import.meta.url);
const definition = JSON.parse(readFileSync(new URL('definition.json', FOLDER), 'utf8'));
const SURVEY = `kurs-${randomBytes(3).toString('hex')}`;
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
const contact = (unit) => `kurs-${unit}-${SURVEY}@example.org`;

let browser;
let qn; // the wave's questionnaire, with its plan
let texts; // its bokmål texts
let ui; // the survey page's bokmål texts
const codes = {};

before(async () => {
  browser = await launch();
  const now = Date.now();
  const created = JSON.parse(admin('survey', 'create', '--survey', SURVEY, '--definition', DEFINITION,
    '--opens', iso(now - 3600e3), '--closes', iso(now + 30 * 86400e3)));
  assert.equal(created.definition, DEFINITION);
  for (const unit of ['9901', '9903', '9904']) {
    codes[unit] = admin('registration', 'add', '--survey', SURVEY, '--unit', unit, '--contact', `Kontakt ${unit} <${contact(unit)}>`);
  }
  qn = await getJSON(`/api/surveys/${SURVEY}/questionnaire`);
  texts = (await getJSON(`/content/${SURVEY}/i18n/nb.json`)).strings;
  ui = (await getJSON('/i18n/nb.json')).strings;
});

after(async () => {
  await browser?.close();
});

test('survey-admin lists and checks the definition, and keeps a wave to its own units', async () => {
  const listed = admin('definition', 'list').split('\n').map((l) => JSON.parse(l));
  assert.equal(listed[0].id, 'brukerundersokelse', 'the shipped survey first');
  assert.deepEqual(listed.find((d) => d.id === DEFINITION), { id: DEFINITION, version: '2027.1', title: definition.copy.title.nb });
  assert.equal(admin('definition', 'check', '--file', new URL('definition.json', FOLDER).pathname), 'ok');
  assert.throws(() => admin('survey', 'create', '--survey', `${SURVEY}-x`, '--definition', 'ukjent',
    '--opens', iso(Date.now()), '--closes', iso(Date.now() + 86400e3)), /undersøkelsen «ukjent» finnes ikke/);
  assert.throws(() => admin('registration', 'add', '--survey', SURVEY, '--unit', '4601', '--contact', 'K <k@example.org>'),
    /`4601` er ikke en enhet i undersøkelsen «kursundersokelse» som runden `kurs-/);

  const wave = await call('GET', `/api/surveys/${SURVEY}`);
  assert.equal(wave.json.definition, DEFINITION);
  assert.deepEqual(wave.json.languages.map((l) => l.code), ['nb', 'en']);
  assert.deepEqual(qn.plan.groups.map((g) => g.id), ['begynner', 'viderekommen']);
  assert.deepEqual(qn.plan.indices.map((i) => i.id), ['laering', 'miljo']);

  const municipality = await call('POST', '/api/registrations', { survey_id: SURVEY, unit: '4601', contacts: [{ name: 'Kari', email: 'kari@example.org' }] });
  assert.equal(municipality.status, 400);
  assert.equal(municipality.json.error.code, 'invalid_unit');
  const centre = await call('POST', '/api/registrations', { survey_id: SURVEY, unit: '9902', contacts: [{ name: 'Kari', email: contact('9902') }] });
  assert.equal(centre.status, 202, centre.text);

  const [mail] = await mailsTo(contact('9901'), { where: (m) => /Tilgangskode/.test(m.subject) });
  assert.match(mail.subject, /^Tilgangskode til kursundersøkelsen – Læringssenter Nord$/);
  assert.doesNotMatch(mail.body, /brukerundersøkelsen|introduksjonsprogram/);
});

test("the classroom sheet carries the survey's own title and invitations", async () => {
  // A wave without audio has no coverage.json: the sheet then says nothing about sound.
  const page = await strictPage(browser, {}, (m) => m.text().includes('status of 404') && m.location().url.endsWith('/audio/coverage.json'));
  await page.goto(`${BASE}/ark/?survey=${SURVEY}&unit=${encodeURIComponent('Læringssenter Nord')}#code=${codes['9901']}`);
  await page.locator('#sheet-title').waitFor();
  assert.match(await page.locator('#sheet-title').textContent(), /^Kursundersøkelsen/);
  await page.waitForFunction(() => document.getElementById('invite-sms')?.value.includes('kursundersøkelsen'));
  const sms = await page.locator('#invite-sms').inputValue();
  assert.ok(sms.length <= 160 && sms.includes(codes['9901']), sms);
  assert.doesNotMatch(await page.locator('#invite-email').inputValue(), /brukerundersøkelsen|introduksjonsprogram/);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('a participant answers the course survey on a phone, with its four-point scale', async () => {
  const page = await strictPage(browser, { isMobile: true, hasTouch: true }, (m) => /status of 4\d\d/.test(m.text()));
  const heading = async () => ((await page.locator('main h1').first().textContent()) || '').trim();
  const waitHeading = (t) => page.waitForFunction((x) => document.querySelector('main h1')?.textContent.trim() === x, t, { timeout: 10000 });
  await page.goto(`${BASE}/?code=${encodeURIComponent(codes['9901'])}`);
  await waitHeading(ui['ui.start.title']);
  await page.getByRole('button', { name: ui['ui.start'], exact: true }).click();
  await waitHeading(ui['ui.intro.title']);
  await page.getByRole('button', { name: ui['ui.intro.begin'] }).click();
  await waitHeading(texts[`q.${qn.questions[0].id}.text`]);
  assert.equal((await page.locator('.brand').textContent()).trim(), texts['ui.app_title'], "the survey's own title");
  const answers = {};
  for (const q of qn.questions) {
    await waitHeading(texts[`q.${q.id}.text`]);
    if (q.type === 'scale') {
      assert.equal(await page.getByRole('radio').count(), 5, `${q.id}: four points and "Vet ikke"`);
      for (const name of [1, 2, 3, 4].map((v) => texts[`scale.${q.scale}.${v}`]).concat(texts['opt.dont_know'])) {
        assert.equal(await page.getByRole('radio', { name, exact: true }).count(), 1, `${q.id}: ${name}`);
      }
      await page.getByRole('radio', { name: texts[`scale.${q.scale}.3`], exact: true }).check();
      answers[q.id] = '3';
    } else if (q.type === 'multi') {
      await page.getByRole('checkbox', { name: texts[`q.${q.id}.opt.mobil`], exact: true }).check();
      answers[q.id] = ['mobil'];
    } else {
      const value = q.id === 'q_niva' ? 'b1' : q.options[0].value;
      await page.getByRole('radio', { name: texts[`q.${q.id}.opt.${value}`], exact: true }).check();
      answers[q.id] = value;
    }
    const old = await heading();
    await page.getByRole('button', { name: ui['ui.next'], exact: true }).click();
    await page.waitForFunction((t) => document.querySelector('main h1')?.textContent.trim() !== t, old, { timeout: 10000 });
  }
  await waitHeading(ui['ui.review.title']);
  const sent = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/api/responses'));
  await page.getByRole('button', { name: ui['ui.send'], exact: true }).click();
  await waitHeading(ui['ui.thanks.title']);
  const body = (await sent).postDataJSON();
  assert.equal(body.survey_id, SURVEY);
  assert.deepEqual(body.answers, answers);
  assert.ok((await page.locator('#receipt').textContent()).trim().length > 0);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

/** Answers for participant `i`: every level in turn, every scale point. */
function answersFor(i) {
  const answers = {};
  for (const q of qn.questions) {
    const values = q.options.map((o) => o.value).filter((v) => v !== 'ingen');
    answers[q.id] = q.type === 'multi' ? [values[i % values.length]] : values[(i + q.id.length) % values.length];
  }
  return answers;
}

test('after the close a contact reads the report and the results page shows the plan; IMDi gets the bundle', async () => {
  for (const [unit, n] of [['9901', 13], ['9903', 3], ['9904', 12]]) {
    for (let i = 0; i < n; i++) {
      const res = await call('POST', '/api/responses', { survey_id: SURVEY, access_code: codes[unit], submission_id: ulid(), language: i % 2 ? 'en' : 'nb', answers: answersFor(i) });
      assert.equal(res.status, 201, res.text);
    }
  }
  admin('survey', 'window', '--survey', SURVEY, '--registration-deadline', iso(Date.now() - 1800e3), '--closes', iso(Date.now() - 1000));
  const summary = JSON.parse(admin('aggregate', '--survey', SURVEY));
  assert.equal(summary.answers, 29);

  await call('POST', '/api/results/access', { survey_id: SURVEY, unit: '9901', email: contact('9901') });
  const [mail] = await mailsTo(contact('9901'), { where: (m) => /Resultater/.test(m.subject) });
  assert.equal(mail.subject, 'Resultater fra kursundersøkelsen – Læringssenter Nord');
  const token = mail.body.match(/token=([0-9a-f]{64})/)[1];
  const report = await call('GET', `/api/results/${SURVEY}/9901`, undefined, { authorization: `Bearer ${token}` });
  assert.equal(report.status, 200, report.text);
  const r = report.json;
  assert.equal(r.respondents, 14);
  assert.equal(r.unit.county, 'Nordfylket');
  assert.deepEqual(r.indices.map((ix) => ix.id), ['laering', 'miljo']);
  const scale = r.questions.find((q) => q.id === 'q_laering_1');
  assert.deepEqual(Object.keys(scale.groups).sort(), ['begynner', 'viderekommen']);
  assert.ok(scale.national.mean >= 1 && scale.national.mean <= 4, 'a mean on the 1-4 scale');
  const other = await call('GET', `/api/results/${SURVEY}/9904`, undefined, { authorization: `Bearer ${token}` });
  assert.equal(other.status, 403, 'the token opens its own unit only');

  const page = await strictPage(browser, { viewport: { width: 1280, height: 900 } });
  await page.goto(`${BASE}/resultater/?survey=${SURVEY}&unit=9901&token=${token}`);
  await page.locator('.themes').waitFor({ timeout: 15000 });
  assert.equal((await page.locator('header .brand').textContent()).trim(), 'Kursundersøkelsen');
  assert.match(await page.title(), / – Kursundersøkelsen$/);
  const labels = definition.copy.groups;
  for (const id of ['begynner', 'viderekommen']) {
    assert.equal(await page.getByRole('radio', { name: labels[id].page.nb, exact: true }).count(), 1, `the filter offers ${id} by its name`);
  }
  const themes = (await page.locator('.themes h3').allTextContents()).map((s) => s.trim());
  assert.deepEqual(themes, [definition.copy.indices.laering.page.nb, definition.copy.indices.miljo.page.nb]);
  await page.getByRole('radio', { name: labels.viderekommen.page.nb, exact: true }).check();
  await page.waitForFunction((t) => document.querySelector('.showing')?.textContent.includes(t), labels.viderekommen.page.nb);
  const shown = await page.locator('main').textContent();
  assert.doesNotMatch(shown, /brukerundersøkelse|introduksjonsprogram|opplæring i norsk|kommunenummer|1–5|1 til 5/i);
  assert.match(shown, /Kursundersøkelsen kurs-/);
  assert.match(shown, /Enhetsnummer9901/);
  assert.match(shown, /Gjennomsnitt \(1–4\)/);
  assert.ok(shown.includes(texts['q.q_miljo_2.text']), 'question texts come from the survey');
  assert.deepEqual(page.errors, []);
  await page.context().close();

  const out = mkdtempSync(join(tmpdir(), 'kurs-bundle-'));
  const zip = admin('bundle', 'fetch', '--survey', SURVEY, '--out', out);
  const readme = execFileSync('python3', ['-c', 'import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).read("README.txt").decode())', zip], { encoding: 'utf8' });
  assert.ok(readme.startsWith(`${definition.copy.title.nb} – resultatpakke`), readme);
  assert.match(readme, /index_laering, index_miljo/);
  const columns = execFileSync('python3', ['-c', 'import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).read("columns.csv").decode("utf-8-sig"))', zip], { encoding: 'utf8' });
  assert.match(columns, /all \(alle\), begynner \(nivå A1 og A2\) eller viderekommen \(nivå B1 og B2\)/);
});
