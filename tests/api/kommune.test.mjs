// The municipal survey (kommuneundersokelse) on the local stack, through the
// API and survey-admin only: five units' recipients imported, invitations read
// from moto's SES, two roles save drafts, resume and submit, a reminder reaches
// only those who did not submit, status and rates add up, and after the close
// the aggregation gives the public report, a unit's own view and IMDi's bundle.
// Bad recipient files, wrong tokens, another role's questions and answers after
// the close each get the contract's error, and nothing is stored.
//
// Env (set by tests/with-local-stack.sh): BASE_URL, SURVEY_ADMIN, AWS_ENDPOINT_URL.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { admin, call, mailsTo, sentTo, settled } from './support.mjs';

const SURVEY = `kommune-${randomBytes(3).toString('hex')}`;
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
const mail = (who) => `${who}-${SURVEY}@example.org`;

// Bergen has all three roles (Per holds two); the others one or two. Nobody
// is head of education in Stavanger, Sandnes or Trondheim.
const RECIPIENTS = [
  ['4601', 'director', 'Kari Nordmann', mail('kari')],
  ['4601', 'programme', 'Per Hansen', mail('per')],
  ['4601', 'education', 'Per Hansen', mail('per')],
  ['1103', 'programme', 'Siri Lie', mail('siri')],
  ['1108', 'programme', 'Ola Dunk', mail('ola')],
  ['5001', 'programme', 'Anne Berg', mail('anne')],
  ['5001', 'director', 'Nils Nes', mail('nils')],
  ['1151', 'education', 'Lars Øy', mail('lars')],
];

const csv = (rows) => ['unit,role,name,email', ...rows.map((r) => r.join(','))].join('\n') + '\n';
const file = (content) => {
  const path = join(mkdtempSync(join(tmpdir(), 'mottakere-')), 'mottakere.csv');
  writeFileSync(path, content);
  return path;
};
const statusOf = () =>
  Object.fromEntries(
    admin('recipients', 'status', '--survey', SURVEY).split('\n').filter(Boolean).map((l) => JSON.parse(l)).map((s) => [`${s.unit}/${s.role}`, s.status]),
  );
const tokenIn = (m) => m.body.match(/\/skjema\/#token=([0-9a-f]{64})/)[1];
const bearer = (token) => ({ authorization: `Bearer ${token}` });
const form = (token) => call('GET', '/api/org-responses/current', undefined, bearer(token));
const save = (token, answers) => call('PUT', '/api/org-responses/current', { answers }, bearer(token));
const submit = (token, answers) => call('POST', '/api/org-responses/current/submit', { answers }, bearer(token));

/** Each recipient's token, from their invitation: `unit/role` → token. */
const tokens = {};

before(() => {
  const now = Date.now();
  admin('survey', 'create', '--survey', SURVEY, '--definition', 'kommuneundersokelse', '--opens', iso(now - 3600e3), '--closes', iso(now + 30 * 86400e3));
});

test('a wave of the municipal survey is made from its definition, with three units as the minimum', async () => {
  const survey = await call('GET', `/api/surveys/${SURVEY}`);
  assert.equal(survey.status, 200);
  assert.equal(survey.json.definition, 'kommuneundersokelse');
  assert.deepEqual(survey.json.languages.map((l) => l.code).filter((c) => c === 'nb' || c === 'nn'), ['nb', 'nn']);
  assert.equal(JSON.parse(admin('survey', 'show', '--survey', SURVEY)).min_respondents, 3);
});

test('a bad recipients file is refused whole, with each line and reason, and nothing is stored', () => {
  const bad = csv([RECIPIENTS[0], ['4601', 'mayor', 'X Y', mail('x')], ['9999', 'director', 'X Y', mail('y')], ['1103', 'director', 'Z Z', 'ikke-en-adresse']]);
  let error;
  try { admin('recipients', 'import', '--survey', SURVEY, '--file', file(bad)); } catch (e) { error = e; }
  assert.ok(error, 'a non-zero exit');
  const stderr = String(error.stderr);
  assert.match(stderr, /linje 3/);
  assert.match(stderr, /linje 4/);
  assert.match(stderr, /linje 5/);
  assert.doesNotMatch(stderr, /linje 2/, 'the good row is not blamed');
  assert.equal(admin('recipients', 'status', '--survey', SURVEY), '', 'nothing stored');
});

test('invitations go once to every recipient, each role with its own link', async () => {
  assert.equal(admin('recipients', 'import', '--survey', SURVEY, '--file', file(csv(RECIPIENTS))), `imported ${RECIPIENTS.length}`);
  assert.equal(admin('invitations', 'send', '--survey', SURVEY), `sent ${RECIPIENTS.length}`);
  for (const [unit, role, , address] of RECIPIENTS) {
    const mails = await mailsTo(address, { count: address === mail('per') ? 2 : 1 });
    for (const m of mails) {
      const opened = await form(tokenIn(m));
      assert.equal(opened.status, 200);
      if (opened.json.unit.number === unit && opened.json.role === role) tokens[`${unit}/${role}`] = tokenIn(m);
    }
    assert.ok(tokens[`${unit}/${role}`], `a link for ${unit}/${role}`);
  }
  assert.notEqual(tokens['4601/programme'], tokens['4601/education'], 'one person, two roles, two links');
  assert.equal(admin('invitations', 'send', '--survey', SURVEY), 'sent 0');
  await settled();
  assert.ok(Object.values(statusOf()).every((s) => s === 'opened'), 'every link was opened above');
});

test('a link opens only its own unit and role; wrong tokens and other roles\' questions change nothing', async () => {
  const before = statusOf();
  const director = await form(tokens['4601/director']);
  assert.deepEqual(director.json.unit, { number: '4601', name: 'Bergen' });
  assert.ok(director.json.questionnaire.questions.every((q) => q.role === 'director'), 'only the role\'s questions');
  for (const token of ['', 'nope', '0'.repeat(64)]) {
    for (const r of [await form(token), await save(token, {}), await submit(token, { q_dir_partner: '3' })]) {
      assert.equal(r.status, 401);
      assert.equal(r.json.error.code, 'invalid_token');
    }
  }
  // Stavanger's programme head cannot answer Bergen's director's questions, nor pick a unit.
  const other = await save(tokens['1103/programme'], { q_dir_partner: '3' });
  assert.equal(other.status, 400);
  assert.equal(other.json.error.code, 'invalid_answer');
  const picked = await call('PUT', '/api/org-responses/current', { answers: {}, unit: '4601' }, bearer(tokens['1103/programme']));
  assert.equal(picked.json.error.code, 'unknown_field');
  const tooLong = await save(tokens['4601/director'], { q_dir_partner_comment: 'x'.repeat(501) });
  assert.equal(tooLong.json.error.code, 'invalid_answer');
  assert.deepEqual(statusOf(), before, 'nothing stored');
  assert.deepEqual((await form(tokens['4601/director'])).json.answers, {});
});

test('two roles save drafts, come back with the same link and submit; a submit is final', async () => {
  const director = tokens['4601/director'];
  assert.deepEqual((await save(director, { q_dir_partner: '3', q_dir_info_need: 'yes' })).json, { status: 'draft' });
  const programme = tokens['4601/programme'];
  assert.equal((await save(programme, { q_prog_targets: 'yes' })).status, 200);
  assert.equal(statusOf()['4601/director'], 'draft');

  const resumed = await form(director);
  assert.deepEqual(resumed.json.answers, { q_dir_partner: '3', q_dir_info_need: 'yes' });
  const incomplete = await submit(director, { q_dir_info_need: 'yes' });
  assert.equal(incomplete.status, 400);
  assert.equal(incomplete.json.error.field, '/answers/q_dir_partner');
  const answers = { ...resumed.json.answers, q_dir_info_topics: ['health', 'adaptation'], q_dir_partner_comment: 'Raskere svar, takk.' };
  const first = await submit(director, answers);
  assert.equal(first.status, 201);
  const again = await submit(director, answers);
  assert.deepEqual([again.status, again.json], [200, { receipt: first.json.receipt, duplicate: true }]);
  assert.equal((await submit(director, { q_dir_partner: '1' })).json.error.code, 'already_submitted');
  assert.equal((await save(director, { q_dir_partner: '1' })).json.error.code, 'already_submitted');
  assert.equal((await form(director)).json.status, 'submitted');

  // The programme heads of four units submit, so the nation has a figure.
  const programmes = { '4601': 'yes', '1103': 'yes', '1108': 'no', '5001': 'yes' };
  for (const [unit, targets] of Object.entries(programmes)) {
    const r = await submit(tokens[`${unit}/programme`], { q_prog_targets: targets, q_prog_involve: 'yes', q_prog_involve_methods: ['individual'] });
    assert.equal(r.status, 201, `${unit}: ${r.text}`);
  }
});

test('a reminder reaches only those who have not submitted; status and rates add up', async () => {
  const unsubmitted = ['per', 'nils', 'lars'];
  assert.equal(admin('reminders', 'send', '--survey', SURVEY), `sent ${unsubmitted.length}`);
  for (const who of unsubmitted) await mailsTo(mail(who), { where: (m) => /^Påminnelse/.test(m.subject) });
  await settled();
  for (const who of ['kari', 'siri', 'ola', 'anne']) {
    assert.equal((await sentTo(mail(who))).length, 1, `${who} submitted and is not reminded`);
  }
  assert.deepEqual(statusOf(), {
    '1103/programme': 'submitted',
    '1108/programme': 'submitted',
    '1151/education': 'opened',
    '4601/director': 'submitted',
    '4601/education': 'opened',
    '4601/programme': 'submitted',
    '5001/director': 'opened',
    '5001/programme': 'submitted',
  });
  const rates = JSON.parse(admin('recipients', 'rates', '--survey', SURVEY));
  assert.deepEqual(rates.national, { units: 5, at_least_one_part: 4, all_parts: 2 });
  assert.deepEqual(rates.counties['11'], { units: 3, at_least_one_part: 2, all_parts: 2 });
  assert.deepEqual(rates.size_bands.lt_5000, { units: 1, at_least_one_part: 0, all_parts: 0 });
});

test('IMDi sets the reminders\' schedule per wave, replaces it and clears it (EventBridge Scheduler)', () => {
  const set = admin('reminders', 'schedule', '--survey', SURVEY, '--after-days', '7,14', '--before-close-days', '3').split('\n');
  assert.equal(set.length, 3);
  assert.ok(set.every((l) => /^påminnelse \d{4}-\d{2}-\d{2} kl\. 09\.00$/.test(l)), set.join('\n'));
  const shown = admin('reminders', 'schedule', '--survey', SURVEY, '--show').split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(shown.map((s) => [s.at.slice(11), s.time_zone]), Array(3).fill(['09:00:00', 'Europe/Oslo']));
  assert.throws(() => admin('reminders', 'schedule', '--survey', SURVEY, '--after-days', '45'), /runden er åpen/, 'after the close');
  assert.equal(admin('reminders', 'schedule', '--survey', SURVEY, '--show').split('\n').length, 3, 'a refused schedule changes nothing');
  admin('reminders', 'schedule', '--survey', SURVEY, '--after-days', '10');
  assert.equal(admin('reminders', 'schedule', '--survey', SURVEY, '--show').split('\n').length, 1, 'set again: replaced');
  assert.equal(admin('reminders', 'schedule', '--survey', SURVEY, '--clear'), 'fjernet 1');
  assert.equal(admin('reminders', 'schedule', '--survey', SURVEY, '--show'), '');
});

test('a bad population file is refused whole, and the figures in use stay', () => {
  const before = JSON.parse(admin('units', 'population', '--show'));
  assert.equal(before.kommuner.source, 'ssb_innebygd');
  const bad = file('kommunenummer,kommunenavn,folkemengde_2026,kostra_ekg\n4601,Bergen,mange,EKG12\n');
  assert.throws(() => admin('units', 'population', '--file', bad), (e) => /ingenting er lagret/.test(e.stderr) && /mange/.test(e.stderr));
  assert.deepEqual(JSON.parse(admin('units', 'population', '--show')), before);
});

test('nothing is published before the close, and answers after the close are refused', async () => {
  assert.equal((await call('GET', `/api/org-results/${SURVEY}`)).json.error.code, 'no_report');
  assert.equal((await call('GET', '/api/org-responses/current/results', undefined, bearer(tokens['4601/director']))).json.error.code, 'no_report');
  assert.throws(() => admin('aggregate', '--survey', SURVEY), /closes first|etter/);
  const now = Date.now();
  admin('survey', 'window', '--survey', SURVEY, '--registration-deadline', iso(now - 60e3), '--closes', iso(now - 1e3));
  const before = statusOf();
  for (const r of [await save(tokens['5001/director'], { q_dir_partner: '2' }), await submit(tokens['5001/director'], { q_dir_partner: '2' })]) {
    assert.equal(r.status, 403);
    assert.equal(r.json.error.code, 'survey_closed');
  }
  assert.deepEqual(statusOf(), before, 'nothing stored');
});

test('after the close: the public report, a unit\'s own view and IMDi\'s bundle', async () => {
  const summary = JSON.parse(admin('aggregate', '--survey', SURVEY));
  assert.equal(summary.units, 4);
  const report = await call('GET', `/api/org-results/${SURVEY}`);
  assert.equal(report.status, 200);
  assert.equal(report.json.definition, 'kommuneundersokelse');
  assert.deepEqual(report.json.participation, { invited: 5, at_least_one_part: 4, all_parts: 2 });
  const targets = report.json.questions.find((q) => q.id === 'q_prog_targets');
  assert.deepEqual(targets.figures.NO, { n: 4, counts: { yes: 3, no: 1, dont_know: 0 } });
  for (const county of ['46', '11', '50']) {
    assert.deepEqual(targets.figures[county], { withheld: true, reason: 'too_few_answers' }, `one or two units in ${county}`);
  }
  assert.deepEqual(targets.figures['20000_plus'], targets.figures.NO, 'all four are large');
  const partner = report.json.questions.find((q) => q.id === 'q_dir_partner');
  assert.deepEqual(partner.figures.NO, { withheld: true, reason: 'too_few_answers' }, 'one director answered');
  assert.ok(!report.json.questions.some((q) => q.id === 'q_dir_partner_comment'), 'free text is never public');
  const finding = report.json.findings.find((f) => f.question === 'q_prog_targets');
  assert.deepEqual(finding.figures.NO, { n: 4, count: 3 });
  assert.ok(!report.text.includes('Kari') && !report.text.includes('@'), 'no names or addresses');

  const own = await call('GET', '/api/org-responses/current/results', undefined, bearer(tokens['4601/education']));
  assert.equal(own.status, 200);
  assert.equal(own.json.unit.number, '4601');
  const comment = own.json.questions.find((q) => q.id === 'q_dir_partner_comment');
  assert.equal(comment.answer, 'Raskere svar, takk.', 'the unit sees its director\'s comment');
  const ownTargets = own.json.questions.find((q) => q.id === 'q_prog_targets');
  assert.equal(ownTargets.answer, 'yes');
  assert.deepEqual(ownTargets.national, targets.figures.NO);
  assert.deepEqual(own.json.parts.map((p) => [p.role, p.status]), [['director', 'submitted'], ['programme', 'submitted'], ['education', 'opened']]);
  const stavanger = await call('GET', '/api/org-responses/current/results', undefined, bearer(tokens['1103/programme']));
  assert.equal(stavanger.json.unit.number, '1103', 'a link shows its own unit only');
  assert.equal(stavanger.json.questions.find((q) => q.id === 'q_dir_partner_comment').answer, null);

  const out = mkdtempSync(join(tmpdir(), 'pakke-'));
  const zip = admin('bundle', 'fetch', '--survey', SURVEY, '--out', out);
  const read = (name) => execFileSync('python3', ['-c', 'import sys, zipfile; sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode("utf-8-sig"))', zip, name], { encoding: 'utf8' });
  const rows = (name) => JSON.parse(execFileSync('python3', ['-c', 'import csv, io, json, sys, zipfile; print(json.dumps(list(csv.reader(io.StringIO(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode("utf-8-sig"), newline="")))))', zip, name], { encoding: 'utf8' }));
  const answers = rows('answers.csv');
  assert.equal(answers.length, 1 + 4, 'a row per unit that submitted');
  const header = answers[0];
  const bergen = answers.find((r) => r[0] === '4601');
  assert.equal(bergen[header.indexOf('q_dir_partner_comment')], 'Raskere svar, takk.', 'a comment with a comma stays whole');
  assert.equal(bergen[header.indexOf('q_dir_partner')], '3');
  assert.equal(bergen[header.indexOf('q_dir_info_topics.health')], '1');
  for (const name of ['answers.csv', 'figures.csv', 'report.json']) {
    const text = read(name);
    for (const [, , person, address] of RECIPIENTS) {
      assert.ok(!text.includes(person) && !text.includes(address), `${name} names no one`);
    }
  }
  assert.match(read('codebook.csv'), /q_prog_targets,single/);
});
