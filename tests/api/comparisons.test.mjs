// Black-box (issue 16): two waves of the participant survey a year apart,
// with units in two counties (Vestland, Troms) and three size bands, each
// released by survey-admin's aggregation after its close. A unit's report
// stands it beside its county, size band and the nation, with its figures
// from the year before; GET /api/key-figures gives the national and county
// figures and the trend; and no unit withheld in either wave can be worked
// out from everything released, by any sum or difference across bands,
// counties and waves (an exact solver over the released respondent counts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ADMIN, AWS, BASE, admin, answersFor, call, mailsTo, ulid } from './support.mjs';

assert.ok(BASE && AWS && ADMIN, 'BASE_URL, AWS_ENDPOINT_URL and SURVEY_ADMIN must be set');

const DAY = 86400e3;
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
// Vestland: Bergen (20,000+), Stord (5,000–19,999), Fitjar (under 5,000); Troms: Tromsø (20,000+), Bardu (under 5,000).
const UNITS = ['4601', '4614', '4615', '5501', '5520'];
const COUNTY = { 4601: '46', 4614: '46', 4615: '46', 5501: '55', 5520: '55' };
// Answers in the first wave and the second: a unit small in one is large in the other.
const ANSWERS = { 4601: [30, 28], 4614: [12, 6], 4615: [4, 13], 5501: [40, 35], 5520: [7, 12] };

// A wave: created open, answered through the API, then its window moved so it
// closed `closedAgo` ms ago, and aggregated. Returns the contacts by unit.
async function releasedWave(survey, w, closedAgo) {
  const now = Date.now();
  admin('survey', 'create', '--survey', survey, '--opens', iso(now - 3600e3), '--closes', iso(now + 30 * DAY));
  const questionnaire = (await call('GET', `/api/surveys/${survey}/questionnaire`)).json;
  const contacts = {};
  for (const unit of UNITS) {
    contacts[unit] = `sammenlikning-${unit}-${survey}@example.org`;
    const code = admin('registration', 'add', '--survey', survey, '--unit', unit, '--contact', `Kontakt ${unit} <${contacts[unit]}>`);
    for (let i = 0; i < ANSWERS[unit][w]; i++) {
      const res = await call('POST', '/api/responses', { survey_id: survey, access_code: code, submission_id: ulid(), language: 'nb', answers: answersFor(questionnaire, i + w) });
      assert.equal(res.status, 201, res.text);
    }
  }
  const closes = Date.now() - closedAgo;
  admin('survey', 'window', '--survey', survey, '--opens', iso(closes - 30 * DAY), '--registration-deadline', iso(closes - 31 * DAY),
    '--closes', iso(closes), '--results-until', iso(Date.now() + 300 * DAY));
  admin('aggregate', '--survey', survey);
  return contacts;
}

async function report(survey, unit, email) {
  await call('POST', '/api/results/access', { survey_id: survey, unit, email });
  const mail = (await mailsTo(email, { where: (m) => /Resultater/.test(m.subject) })).pop();
  const token = mail.body.match(/token=([0-9a-f]{64})/)[1];
  const res = await call('GET', `/api/results/${survey}/${unit}`, undefined, { authorization: `Bearer ${token}` });
  assert.equal(res.status, 200, res.text);
  return res.json;
}

// Whether `target` is a rational combination of `rows` (vectors of integers):
// exact fraction-free Gaussian elimination on BigInt.
function inSpan(rows, target) {
  const rank = (m) => {
    const a = m.map((r) => r.map(BigInt));
    let r = 0;
    for (let c = 0; c < (a[0] || []).length && r < a.length; c++) {
      const p = a.findIndex((row, i) => i >= r && row[c] !== 0n);
      if (p < 0) continue;
      [a[r], a[p]] = [a[p], a[r]];
      for (let i = 0; i < a.length; i++) {
        if (i !== r && a[i][c] !== 0n) {
          const [x, y] = [a[r][c], a[i][c]];
          a[i] = a[i].map((v, j) => v * x - a[r][j] * y);
        }
      }
      r++;
    }
    return r;
  };
  return rank([...rows, target]) === rank(rows);
}

test('two waves a year apart: similar units, last year beside this year, key figures with the trend, nothing withheld solvable', async () => {
  const tag = randomBytes(3).toString('hex');
  const [first, second] = [`cmp-${tag}-a`, `cmp-${tag}-b`];
  const contactsA = await releasedWave(first, 0, 365 * DAY);
  const contactsB = await releasedWave(second, 1, 1000);

  const reportsA = {};
  const reportsB = {};
  for (const unit of UNITS) {
    reportsA[unit] = await report(first, unit, contactsA[unit]);
    reportsB[unit] = await report(second, unit, contactsB[unit]);
  }

  // Each report: the unit beside its county, its size band and the nation; last year where released then.
  let compared = 0;
  for (const unit of UNITS) {
    const r = reportsB[unit];
    assert.ok(r.comparisons.size_band && ['lt_5000', '5000_19999', '20000_plus'].includes(r.comparisons.size_band.number), unit);
    for (const q of r.questions) for (const side of ['unit', 'county', 'size_band', 'national']) assert.ok(q[side], `${unit} ${q.id} ${side}`);
    if (reportsA[unit].suppressed) {
      assert.equal(r.comparisons.previous, null, `${unit}: withheld last year, so nothing from then`);
      assert.ok(r.questions.every((q) => !('previous' in q)));
      continue;
    }
    assert.equal(r.comparisons.previous, first);
    for (const q of r.questions) {
      const then = reportsA[unit].questions.find((x) => x.id === q.id);
      assert.deepEqual(q.previous, then.unit, `${unit} ${q.id}: last year's figure as released then`);
    }
    compared++;
  }
  assert.ok(compared >= 1, 'a unit released in both waves is compared');
  const bands = new Set(UNITS.map((u) => reportsB[u].comparisons.size_band.number));
  assert.ok(bands.size >= 2, `units in several size bands: ${[...bands]}`);

  // The key figures: the nation's and the counties' released figures, and the trend over both waves.
  const none = await call('GET', `/api/key-figures/cmp-${tag}-none`);
  assert.equal(none.status, 404);
  const kfA = (await call('GET', `/api/key-figures/${first}`)).json;
  const kf = await call('GET', `/api/key-figures/${second}`);
  assert.equal(kf.status, 200, kf.text);
  assert.match(kf.headers.get('cache-control') || '', /public, max-age=300/);
  const figures = kf.json;
  assert.equal(figures.respondents, UNITS.reduce((s, u) => s + ANSWERS[u][1], 0));
  assert.equal(figures.units_with_results, UNITS.filter((u) => !reportsB[u].suppressed).length);
  for (const ix of reportsB['4601'].indices) {
    assert.equal(figures.national.indices[ix.id], ix.national.value, `${ix.id}: the nation's index as in the reports`);
  }
  assert.deepEqual(figures.counties.map((c) => c.number), ['46', '55']);
  for (const c of figures.counties) {
    const unit = UNITS.find((u) => COUNTY[u] === c.number);
    const county = reportsB[unit].indices[0].county;
    if (c.withheld) assert.equal(county.withheld, true, `${c.number} withheld in the reports too`);
    else assert.equal(c.indices[reportsB[unit].indices[0].id], county.value);
  }
  const order = figures.trend.map((p) => p.survey_id);
  assert.ok(order.indexOf(first) >= 0 && order.indexOf(first) < order.indexOf(second), `the trend runs from ${first} to ${second}: ${order}`);
  assert.deepEqual(figures.trend.find((p) => p.survey_id === first).indices, kfA.national.indices);

  // The attack: every released respondent count of both waves as an equation
  // over the (wave, unit) counts; no withheld unit's count is a combination.
  const atoms = [0, 1].flatMap((w) => UNITS.map((u) => [w, u]));
  const row = (w, units) => atoms.map(([aw, u]) => (aw === w && units.includes(u) ? 1 : 0));
  const rows = [];
  const withheld = [];
  for (const [w, survey, reports, kfw] of [[0, first, reportsA, kfA], [1, second, reportsB, figures]]) {
    rows.push(row(w, UNITS));
    for (const unit of UNITS) {
      if (reports[unit].suppressed) withheld.push([w, unit]);
      else rows.push(row(w, [unit]));
    }
    for (const c of kfw.counties.filter((x) => !x.withheld)) rows.push(row(w, UNITS.filter((u) => COUNTY[u] === c.number)));
    for (const b of kfw.size_bands.filter((x) => !x.withheld)) {
      rows.push(row(w, UNITS.filter((u) => reports[u].comparisons.size_band.number === b.number)));
    }
    const published = (u) => !reports[u].suppressed;
    assert.equal(kfw.units_with_results, UNITS.filter(published).length, survey);
  }
  assert.ok(withheld.length >= 2 && withheld.some(([w]) => w === 0) && withheld.some(([w]) => w === 1), `units withheld in both waves: ${withheld}`);
  for (const [w, unit] of withheld) {
    assert.ok(!inSpan(rows, row(w, [unit])), `wave ${w} unit ${unit} can be worked out from what was released`);
  }
  // The solver finds what it should: with every other unit of its wave published, a withheld one would be solvable.
  const [w0, u0] = withheld[0];
  const leaky = [...rows, ...UNITS.filter((u) => u !== u0).map((u) => row(w0, [u]))];
  assert.ok(inSpan(leaky, row(w0, [u0])), 'the attack works on a table that gives the unit away');
});
