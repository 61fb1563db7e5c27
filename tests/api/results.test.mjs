// Black-box: answers from three units of one county (15, 12 and 4), the
// aggregation run by survey-admin while the wave is open (nothing released),
// one unit closed early (its own figures released at once), the wave's close, the results links by e-mail, each unit's
// token opening only its own report, and the bundle fetched by survey-admin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN, AWS, BASE, admin, answersFor, call, mailsTo, ulid } from './support.mjs';

assert.ok(BASE && AWS && ADMIN, 'BASE_URL, AWS_ENDPOINT_URL and SURVEY_ADMIN must be set');

/** The token in the newest results link sent to `email`, once the mail queue has delivered it. */
async function tokenFor(email) {
  const mail = (await mailsTo(email, { where: (m) => /Resultater/.test(m.subject) })).pop();
  return mail.body.match(/token=([0-9a-f]{64})/)[1];
}

test('15, 12 and 4 answers in one county: reports, tokens, withheld figures and the bundle', async () => {
  const survey = `res-${randomBytes(3).toString('hex')}`;
  const now = Date.now();
  const iso = (ms) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
  admin('survey', 'create', '--survey', survey, '--opens', iso(now - 3600e3), '--closes', iso(now + 30 * 86400e3));
  const questionnaire = (await call('GET', `/api/surveys/${survey}/questionnaire`)).json;
  const units = { '4601': 15, '4614': 12, '4615': 4 };
  const contacts = {};
  for (const [unit, n] of Object.entries(units)) {
    contacts[unit] = `resultater-${unit}-${survey}@example.org`;
    const code = admin('registration', 'add', '--survey', survey, '--unit', unit, '--contact', `Kontakt ${unit} <${contacts[unit]}>`);
    for (let i = 0; i < n; i++) {
      const res = await call('POST', '/api/responses', { survey_id: survey, access_code: code, submission_id: ulid(), language: 'nb', answers: answersFor(questionnaire, i) });
      assert.equal(res.status, 201, res.text);
    }
  }
  assert.equal(admin('responses', 'count', '--survey', survey), '31');

  const before = await call('POST', '/api/results/access', { survey_id: survey, unit: '4601', email: contacts['4601'] });
  assert.equal(before.status, 202);
  const early = await call('GET', `/api/results/${survey}/4601`, undefined, { authorization: `Bearer ${await tokenFor(contacts['4601'])}` });
  assert.equal(early.status, 404);
  assert.equal(early.json.error.code, 'no_report');

  const report = async (unit) => {
    await call('POST', '/api/results/access', { survey_id: survey, unit, email: contacts[unit] });
    const token = await tokenFor(contacts[unit]);
    const res = await call('GET', `/api/results/${survey}/${unit}`, undefined, { authorization: `Bearer ${token}` });
    assert.equal(res.status, 200, res.text);
    return { token, report: res.json };
  };

  // While the wave is open a nightly run releases nothing: a contact sees the count only.
  const summary = JSON.parse(admin('aggregate', '--survey', survey));
  assert.equal(summary.answers, 31);
  const open = (await report('4601')).report;
  assert.equal(open.respondents, 15);
  assert.equal(open.withheld_reason, 'not_released_yet');
  assert.ok(open.questions.every((q) => q.unit.reason === 'not_released_yet' && q.county.reason === 'not_released_yet'));

  // Stord closes early: its own figures come at once, the county's and the nation's at the wave's close.
  assert.match(admin('unit', 'close', '--survey', survey, '--unit', '4614'), /frigitt/);
  const stord = (await report('4614')).report;
  assert.equal(stord.suppressed, false);
  assert.ok(stord.questions.filter((q) => q.id.startsWith('q_nytte')).every((q) => 'counts' in q.unit));
  assert.ok(stord.questions.every((q) => q.county.reason === 'not_released_yet' && q.national.reason === 'not_released_yet'));

  admin('survey', 'window', '--survey', survey, '--registration-deadline', iso(now - 1800e3), '--closes', iso(Date.now() - 1000));
  admin('aggregate', '--survey', survey);
  const reports = {};
  for (const unit of Object.keys(units)) {
    const { token, report: r } = await report(unit);
    reports[unit] = r;
    const other = Object.keys(units).find((u) => u !== unit);
    const wrong = await call('GET', `/api/results/${survey}/${other}`, undefined, { authorization: `Bearer ${token}` });
    assert.equal(wrong.status, 403, 'a token opens only its own unit');
    assert.equal(wrong.json.error.code, 'wrong_unit');
  }
  assert.equal(reports['4615'].respondents, 4);
  assert.equal(reports['4615'].suppressed, true);
  assert.equal(reports['4615'].withheld_reason, 'too_few_answers');
  assert.ok(reports['4615'].questions.every((q) => q.unit.withheld === true && !('counts' in q.unit)));
  const published = (f) => f && 'counts' in f;
  reports['4601'].questions.forEach((q, i) => {
    const both = published(q.unit) && published(reports['4614'].questions[i].unit);
    assert.ok(!(both && (published(q.county) || published(q.national))), `${q.id}: county or nation minus Bergen and Stord would give Fitjar`);
  });
  for (const unit of ['4601', '4614']) {
    if (reports[unit].suppressed) assert.equal(reports[unit].withheld_reason, 'protects_others', `${unit} has enough answers: it protects others`);
  }

  const stranger = await call('POST', '/api/results/access', { survey_id: survey, unit: '4601', email: 'stranger@example.org' });
  assert.equal(stranger.status, 202, 'no account enumeration');
  const noToken = await call('GET', `/api/results/${survey}/4601`);
  assert.equal(noToken.status, 401);

  const out = mkdtempSync(join(tmpdir(), 'bundle-'));
  const path = admin('bundle', 'fetch', '--survey', survey, '--out', out);
  assert.ok(readdirSync(out).some((f) => f.endsWith('.zip')));
  const listing = execFileSync('python3', ['-c', 'import sys, zipfile; print("\\n".join(sorted(zipfile.ZipFile(sys.argv[1]).namelist())))', path], { encoding: 'utf8' });
  assert.deepEqual(listing.trim().split('\n'), ['README.txt', 'codebook.csv', 'columns.csv', 'figures.csv', 'indexes.csv', 'languages.csv', 'respondents.csv', 'routing.csv', 'tables.xlsx', 'units.csv']);
});
