// Tests of the results page (/resultater/) in headless Chromium.
//
// Env (set by tests/with-local-stack.sh):
//   BASE_URL  the running stack, e.g. http://127.0.0.1:8080; it serves the page,
//             /api/surveys/local/questionnaire and /content/local/i18n/*.json
//   CHROMIUM  the browser (default /usr/bin/chromium)
//
// The results API is faked with page routes (GET /api/results/{survey}/{unit},
// its /count, POST /api/results/access): the report is built here from the real
// questionnaire, with withheld cells, a unit without answers to one question, and
// a suppressed variant. Texts are read from the page's own string files and the
// survey's content, so the tests find things by what a person sees. Every page
// is served with the production CSP and must log no error; axe-core checks
// WCAG 2.1 A/AA on the normal, suppressed and error states.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import zlib from 'node:zlib';
import { chromium } from 'playwright-core';
import { runDate, figuresFor, optionValues, shares, toCSV, exportRows } from '../../static-site/resultater/data.js';
import { crc32, zip, xml } from '../../static-site/resultater/xlsx.js';
import { wrap } from '../../static-site/resultater/charts.js';
import { assertAccessible } from './pages.mjs';

const BASE = (process.env.BASE_URL || 'http://127.0.0.1:8080').replace(/\/$/, '');
const SURVEY = 'local';
const UNIT = '4601';
const TOKEN = 'rt_test-token.123';
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const PAGE = `/resultater/?survey=${SURVEY}&unit=${UNIT}&token=${encodeURIComponent(TOKEN)}`;

let browser;
const contexts = []; // closed after each test, whatever its outcome
let S; // the page's nb strings
let C; // the survey's nb content (question texts)
let CEN; // the survey's en content
let qn; // the questionnaire
let REPORT; // the fake report
let SUPPRESSED; // the fake report of a unit with too few answers
let SHOWN; // the report's questions the page charts: all but the screening ones

// A question with an option that ends the survey (the leave question).
const screening = (id) => qn.questions.find((d) => d.id === id).options.some((o) => o.ends_survey);
// The names the survey's plan gives its groups and indices (the questionnaire's `plan`).
// The download's column names; the mean's names the survey's 1-5 scale.
const csvHeader = () => ['population', 'question', 'option', 'count', 'n', 'share', 'mean', 'note'].map((c) => (c === 'mean' ? fill(S['csv.mean'], { max: 5 }) : S[`csv.${c}`]));
const planNamed = (list, id, which = 'label') => qn.plan[list].find((x) => x.id === id)[which].nb;
const fill = (s, vars) => s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? vars[k] : m));
const nbsp = (s) => s.replace(/[\u00a0\u202f]/g, ' ');

const getJSON = async (path) => {
  const r = await fetch(BASE + path);
  assert.equal(r.status, 200, `GET ${path}`);
  return r.json();
};

// ---------- the fake report ----------

function random(seed) {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 4294967296;
  };
}

// A figure of n answers to question q, with counts that add up as the backend's do.
function figure(q, n, rand) {
  const values = q.options.map((o) => o.value);
  const counts = Object.fromEntries(values.map((v) => [v, 0]));
  const open = q.options.filter((o) => !o.ends_survey).map((o) => o.value);
  if (q.type === 'multi') {
    for (const v of open) if (v !== 'none') counts[v] = Math.floor(rand() * n * 0.9);
    if (open.includes('none')) counts.none = rand() < 0.3 ? 1 : 0;
  } else {
    for (let i = 0; i < n; i++) counts[open[Math.floor(rand() ** 0.7 * open.length)]]++;
  }
  const f = { n, counts };
  if (q.type === 'scale') {
    const k = ['1', '2', '3', '4', '5'].reduce((s, v) => s + counts[v], 0);
    if (k) f.mean = Math.round((['1', '2', '3', '4', '5'].reduce((s, v) => s + Number(v) * counts[v], 0) / k) * 100) / 100;
  }
  return f;
}

const TOO_FEW = { withheld: true, reason: 'too_few_answers' };
const PROTECTS = { withheld: true, reason: 'protects_others' };

function buildReport({ suppressed = false } = {}) {
  const rand = random(suppressed ? 7 : 42);
  const unit = (q, n) => (suppressed ? TOO_FEW : figure(q, n, rand));
  const questions = qn.questions.map((q) => {
    const sized = q.show_if ? 0.6 : 1;
    const entry = {
      id: q.id,
      type: q.type,
      unit: unit(q, q.id === 'q_age' ? 0 : Math.round(15 * sized)),
      county: figure(q, Math.round(31 * sized), rand),
      previous: figure(q, Math.round(20 * sized), rand),
      size_band: figure(q, Math.round(300 * sized), rand),
      kostra_group: figure(q, Math.round(120 * sized), rand),
      national: figure(q, Math.round(900 * sized), rand),
      groups: {
        training: { unit: unit(q, 10), county: figure(q, 20, rand), national: figure(q, 600, rand) },
        intro: { unit: TOO_FEW, county: PROTECTS, national: figure(q, 400, rand) },
      },
    };
    if (q.id === 'q_nytte_1' && !suppressed) {
      entry.unit = { n: 15, counts: { 1: 0, 2: 1, 3: 2, 4: 6, 5: 5, dont_know: 1 }, mean: 4.07 };
    }
    return entry;
  });
  const ix = (id, u, c, n) => ({
    id, unit: suppressed ? TOO_FEW : { n: 15, value: u }, previous: { n: 20, value: u - 2 }, county: { n: 31, value: c },
    size_band: { n: 300, value: (c + n) / 2 }, kostra_group: { n: 120, value: c - 1 }, national: { n: 900, value: n },
  });
  return {
    survey_id: SURVEY,
    run_id: '20261122T030000Z-ABC123',
    unit: { number: UNIT, name: 'Bergen', county: 'Vestland' },
    comparisons: {
      size_band: { number: '20000_plus', name: '20 000 innbyggere eller flere' },
      kostra_group: { number: 'EKG12', name: 'KOSTRA-gruppe 12' },
      previous: '2025',
    },
    respondents: suppressed ? 7 : 15,
    expected_participants: 40,
    response_rate: suppressed ? 17.5 : 37.5,
    min_respondents: 10,
    suppressed,
    indices: [ix('usefulness', 72.5, 70.1, 68.0), ix('motivation', 80.2, 77.4, 75.9), ix('wellbeing', 64.0, 66.3, 69.1)],
    questions,
  };
}

// ---------- pages ----------

// A page with the production CSP and the results API answered by `api`:
// {report, status, error, count: {status, body}, surveys: {...}, abort}.
async function newPage(api = {}, opts = {}) {
  const ctx = await browser.newContext({ locale: 'nb-NO', viewport: { width: 360, height: 740 }, ...opts });
  await ctx.route('**/*', async (route) => {
    if (route.request().resourceType() !== 'document') return route.fallback();
    const res = await route.fetch();
    await route.fulfill({ response: res, headers: { ...res.headers(), 'content-security-policy': CSP } });
  });
  const seen = { auth: [], access: [], reportCalls: 0, urls: [] };
  ctx.on('request', (r) => seen.urls.push(r.url()));
  await ctx.route((u) => u.pathname.startsWith('/api/results/'), async (route) => {
    const req = route.request();
    const path = new URL(req.url()).pathname;
    if (path === '/api/results/access') {
      assert.equal(req.method(), 'POST');
      seen.access.push(req.postDataJSON());
      if (api.accessStatus) return route.fulfill({ status: api.accessStatus, json: { error: { code: 'malformed_json', message: 'x' } } });
      return route.fulfill({ status: 202, contentType: 'application/json', body: '{}' });
    }
    seen.auth.push(req.headers().authorization);
    if (path === `/api/results/${SURVEY}/${UNIT}/count`) {
      const c = api.count || { status: 404, body: { error: { code: 'not_found', message: 'there is nothing at this path' } } };
      return route.fulfill({ status: c.status, json: c.body });
    }
    assert.equal(path, `/api/results/${SURVEY}/${UNIT}`);
    seen.reportCalls++;
    if (api.abort) return route.abort('connectionrefused');
    if (api.error) return route.fulfill({ status: api.status, json: { error: { code: api.error, message: 'x' } } });
    return route.fulfill({ json: api.report || REPORT });
  });
  if (api.surveys) {
    await ctx.route(`**/api/surveys/${SURVEY}`, (route) => route.fulfill({ json: api.surveys }));
  }
  if (api.keyFigures) {
    await ctx.route(`**/api/key-figures/${SURVEY}`, (route) => route.fulfill({ json: api.keyFigures }));
  }
  contexts.push(ctx);
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error' && !/status of (4\d\d|5\d\d)|ERR_CONNECTION_REFUSED|ERR_FAILED/.test(m.text())) errors.push(m.text()); });
  page.errors = errors;
  page.seen = seen;
  page.api = api;
  return page;
}

async function waitHeading(page, text) {
  await page.waitForFunction((t) => document.querySelector('h1')?.textContent.trim() === t, text, { timeout: 15000 });
}

async function open(page, path = PAGE, heading = fill(S['res.h1'], { unit: 'Bergen' })) {
  await page.goto(BASE + path);
  await waitHeading(page, heading);
}

async function done(page) {
  assert.deepEqual(page.errors, [], 'no errors or CSP violations in the page');
  assert.equal(await page.locator('[style]').count(), 0, 'no style attributes');
  await page.context().close();
}


const noHorizontalScroll = (page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
const text = async (loc) => nbsp(((await loc.textContent()) || '').replace(/\s+/g, ' ').trim());

function optionLabel(q, v, content = C) {
  if (q.type === 'scale' && v !== 'dont_know') return fill(S['res.scale_opt'], { label: content[`scale.${q.scale}.${v}`], value: v });
  return content[`q.${q.id}.opt.${v}`] ?? content[`opt.${v}`];
}

// A CSV parser for the checks (quotes, separators inside quotes, CRLF).
function parseCSV(s, sep) {
  const rows = [];
  let row = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (quoted) {
      if (ch === '"' && s[i + 1] === '"') { cell += '"'; i++; } else if (ch === '"') quoted = false; else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === sep) { row.push(cell); cell = ''; } else if (ch === '\n') { row.push(cell.replace(/\r$/, '')); rows.push(row); row = []; cell = ''; } else cell += ch;
  }
  if (cell || row.length) { row.push(cell); rows.push(row); }
  return rows;
}

// Reads a ZIP archive's entries through its central directory, checking each
// local header, the stored (uncompressed) data and its CRC-32.
function readZip(buf) {
  const eocd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(eocd >= 0, 'end of central directory found');
  const count = buf.readUInt16LE(eocd + 10);
  const cdSize = buf.readUInt32LE(eocd + 12);
  let at = buf.readUInt32LE(eocd + 16);
  assert.equal(at + cdSize, eocd, 'central directory ends where the end record starts');
  const entries = new Map();
  for (let i = 0; i < count; i++) {
    assert.equal(buf.readUInt32LE(at), 0x02014b50, 'central directory entry signature');
    const method = buf.readUInt16LE(at + 10);
    const crc = buf.readUInt32LE(at + 16);
    const size = buf.readUInt32LE(at + 20);
    const nameLen = buf.readUInt16LE(at + 28);
    const extraLen = buf.readUInt16LE(at + 30);
    const commentLen = buf.readUInt16LE(at + 32);
    const offset = buf.readUInt32LE(at + 42);
    const name = buf.toString('utf8', at + 46, at + 46 + nameLen);
    assert.equal(buf.readUInt32LE(offset), 0x04034b50, `local header of ${name}`);
    assert.equal(method, 0, `${name} is stored`);
    const start = offset + 30 + buf.readUInt16LE(offset + 26) + buf.readUInt16LE(offset + 28);
    const data = buf.subarray(start, start + size);
    assert.equal(zlib.crc32(data), crc, `CRC-32 of ${name}`);
    entries.set(name, data.toString('utf8'));
    at += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

async function download(page, buttonName) {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: buttonName, exact: true }).click()]);
  return { name: dl.suggestedFilename(), bytes: readFileSync(await dl.path()) };
}

// Rows the downloads must hold: population × question × option.
// Six populations: the unit and its previous wave, its county, size band and KOSTRA group, and the nation.
const expectedRows = (populations = 6) => SHOWN.reduce((s, q) => s + populations * qn.questions.find((d) => d.id === q.id).options.length, 0);

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  S = (await getJSON('/resultater/i18n/nb.json')).strings;
  C = (await getJSON(`/content/${SURVEY}/i18n/nb.json`)).strings;
  CEN = (await getJSON(`/content/${SURVEY}/i18n/en.json`)).strings;
  qn = await getJSON(`/api/surveys/${SURVEY}/questionnaire`);
  assert.ok(qn.questions.every((q) => q.section), 'every question has a section');
  REPORT = buildReport();
  SUPPRESSED = buildReport({ suppressed: true });
  SHOWN = REPORT.questions.filter((q) => !screening(q.id));
  assert.ok(SHOWN.length < REPORT.questions.length, 'the fake report holds a screening question, as old reports do');
});

afterEach(async () => {
  await Promise.all(contexts.splice(0).map((c) => c.close().catch(() => {})));
});

after(async () => {
  await browser?.close();
});

// ---------- the page's pure helpers (no browser) ----------

test('helpers: run dates, figures by group, shares, CSV quoting, CRC-32 and ZIP', () => {
  assert.equal(runDate('20261122T030000Z-ABC123').toISOString(), '2026-11-22T03:00:00.000Z');
  assert.equal(runDate('nonsense'), null);
  const q = { id: 'q', type: 'scale', unit: { n: 2, counts: { 1: 1, dont_know: 1 } }, county: { withheld: true, reason: 'protects_others' }, groups: { intro: { unit: { withheld: true, reason: 'too_few_answers' } } } };
  assert.deepEqual(Object.keys(figuresFor(q, 'all')), ['unit', 'county']);
  assert.equal(figuresFor(q, 'intro').unit.reason, 'too_few_answers');
  assert.equal(figuresFor(q, 'training').unit.withheld, true, 'a group the report lacks is withheld');
  assert.deepEqual(optionValues(q, null, {}), ['1', '2', '3', '4', '5', 'dont_know']);
  assert.deepEqual(shares({ n: 0, counts: {} }, ['a']), [{ value: 'a', count: 0, share: null }]);
  const L = { population: (p) => p, question: (x) => x.id, option: (x, v) => v, withheld: (r) => r, none: () => 'none' };
  const rows = exportRows({ questions: [q] }, new Map(), 'all', L);
  assert.equal(rows.length, 12);
  assert.deepEqual(rows[0], { population: 'unit', question: 'q', option: '1', count: 1, n: 2, share: 50, mean: null, note: '' });
  assert.equal(rows[6].note, 'protects_others');
  const csv = toCSV(['a', 'b'], [{ population: 'x;y', question: 'say "hi"', option: ' lead', count: 3, n: 7, share: 42.9, mean: 4.07, note: '' }], { sep: ';', decimal: ',' });
  assert.equal(csv, '\uFEFFa;b\r\n"x;y";"say ""hi""";" lead";3;7;42,9;4,07;\r\n');
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  assert.equal(xml('a<b & "c"\u0001'), 'a&lt;b &amp; &quot;c&quot;');
  const z = Buffer.from(zip([{ name: 'a.txt', data: 'hei' }, { name: 'mappe/b.xml', data: '<x/>' }], new Date(2026, 10, 22, 4, 0, 0)));
  const files = readZip(z);
  assert.deepEqual([...files], [['a.txt', 'hei'], ['mappe/b.xml', '<x/>']]);
});

test('chart labels wrap at words; a word too long for a line is hyphenated at its joint, never squeezed', () => {
  assert.deepEqual(wrap('Opplæring i norsk og samfunnskunnskap', 19), ['Opplæring i norsk', 'og samfunnskunnskap']);
  assert.deepEqual(wrap('Introduksjonsprogrammet', 19), ['Introduksjons-', 'programmet']);
  assert.deepEqual(wrap('I introduksjonsprogrammet nå', 19), ['I introduksjons-', 'programmet nå']);
  assert.deepEqual(wrap('Arbeidsmarkedstiltaksprogrammeringer', 19), ['Arbeidsmarkeds-', 'tiltaks-', 'programmeringer']);
  assert.deepEqual(wrap('barne- og ungdomsskole', 19), ['barne- og', 'ungdomsskole']);
  assert.deepEqual(wrap('Aaaaaaaaaaaaaaaaaaaaaaaaa', 10), ['Aaaaaaaaa-', 'aaaaaaaaa-', 'aaaaaaa']);
  for (const l of wrap('Kvalifiseringsprogramdeltakerundersøkelse og mer', 19)) assert.ok(l.length <= 19, l);
});

// ---------- the report ----------

test('the report: header, live count, themes, a chart with n for every question, a table to show; axe', async () => {
  const page = await newPage({ count: { status: 200, body: { respondents: 17, status: 'open' } } });
  await open(page);
  assert.ok(page.seen.auth.length >= 2 && page.seen.auth.every((a) => a === `Bearer ${TOKEN}`), 'the token is sent as a Bearer header');
  assert.ok(!page.url().includes('token='), 'the token is taken out of the address bar');
  assert.deepEqual(page.seen.urls.filter((u) => u.includes(TOKEN) && !u.includes('/resultater/?')), [], 'the token goes in no other URL');

  const facts = await text(page.locator('.facts'));
  for (const part of ['Vestland', '4601', S['res.pop.size_band.20000_plus'], 'KOSTRA-gruppe 12', '15 av 40', '37,5 %', '22. november 2026']) assert.ok(facts.includes(part), `header shows ${part}: ${facts}`);
  const name = qn.plan.name.nb;
  assert.equal(await text(page.locator('.lead')), fill(S['res.survey'], { name: name[0].toUpperCase() + name.slice(1), survey: SURVEY }));
  await page.locator('#live').waitFor();
  assert.ok((await text(page.locator('#live'))).startsWith(fill(S['res.live'], { n: '17' })), 'the live count is shown');
  assert.equal(await page.locator('#suppressed').count(), 0);

  // Themes: three indices, the unit beside its county, size band, KOSTRA group and the nation, values and n.
  const ix = page.locator('figure.ix');
  assert.equal(await ix.count(), 3);
  for (const [i, id] of ['usefulness', 'motivation', 'wellbeing'].entries()) {
    assert.equal(await text(ix.nth(i).locator('h3')), planNamed('indices', id));
    const svg = ix.nth(i).locator('svg.chart[role=img]');
    assert.equal(await svg.locator('rect').count(), 6, 'a bar per population');
    assert.ok((await svg.getAttribute('aria-label')).includes('Bergen'), 'the chart has a text alternative');
  }
  const usefulness = await text(ix.first().locator('svg.chart'));
  for (const part of ['72,5', '70,1', '68,0', 'n = 15', 'n = 31', 'n = 300', 'n = 120', 'n = 900', 'Hele landet', S['res.pop.size_band.20000_plus']]) assert.ok(usefulness.includes(part), `index chart shows ${part}`);

  // Every question: its text as a heading in its section, a chart, n for each population.
  for (const sec of new Set(qn.questions.map((q) => q.section))) {
    assert.equal(await text(page.locator(`#s-${sec} > h2`)), C[`section.${sec}`], `section ${sec}`);
  }
  for (const q of SHOWN) {
    const fig = page.locator(`#q-${q.id}`);
    assert.equal(await text(fig.locator('h3')), C[`q.${q.id}.text`], `heading of ${q.id}`);
    assert.equal(await fig.locator(`xpath=ancestor::section[1]`).getAttribute('id'), 's-' + qn.questions.find((d) => d.id === q.id).section);
    const svg = fig.locator('svg.chart[role=img]');
    assert.equal(await svg.count(), 1, `one chart for ${q.id}`);
    assert.ok((await svg.getAttribute('aria-label')).length > 20, `text alternative for ${q.id}`);
    assert.ok(await svg.isVisible(), `${q.id}'s chart is visible`);
    const legend = fig.locator('.legend');
    const shown = `${await text(svg)} ${(await legend.count()) ? await text(legend) : ''}`;
    for (const p of ['unit', 'county', 'national']) {
      const n = q[p].n.toLocaleString('nb-NO').replace(/\s/g, ' ');
      if (q[p].n > 0) assert.ok(shown.includes(`n = ${n}`), `${q.id} shows n for ${p}: ${shown}`);
    }
    assert.ok(await svg.locator('rect').count() >= 3, `${q.id} has bars`);
    const table = fig.locator('table');
    assert.equal(await table.locator('tbody tr').count(), q.unit.counts ? Object.keys(q.unit.counts).length + 1 + (q.type === 'scale' ? 1 : 0) : 0);
  }
  // q_age: nobody in the unit answered it.
  assert.ok((await text(page.locator('#q-q_age .legend'))).includes(`Bergen: ${S['res.no_answers']}`));

  // q_nytte_1: a 100 % stacked bar per population with shares, mean and a legend of the scale.
  const q1 = page.locator('#q-q_nytte_1');
  const q1def = qn.questions.find((d) => d.id === 'q_nytte_1');
  assert.ok((await text(q1.locator('svg.chart'))).includes('Bergen · n = 15 · snitt 4,1'));
  assert.ok((await text(q1.locator('svg.chart'))).includes('40 %'), 'the share of "agree" is written in its segment');
  assert.deepEqual(await page.locator('#s-usefulness .sec-legend li').allTextContents(), q1def.options.map((o) => optionLabel(q1def, o.value)), 'the section\'s questions share the legend of their scale');
  assert.equal(await q1.locator('.legend').count(), 0, 'not repeated for each question');
  assert.equal(await q1.locator('svg.chart g.bar').first().locator('rect').count(), 5, 'five non-empty segments for Bergen');

  // The table: hidden from view until asked for, then shown with the counts.
  const toggle = q1.locator('button.toggle');
  assert.equal(await toggle.textContent(), S['res.table.show']);
  assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
  assert.equal(await q1.locator('.table-wrap').evaluate((e) => e.getBoundingClientRect().width), 1, 'visually hidden');
  await toggle.click();
  assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
  assert.equal(await toggle.textContent(), S['res.table.hide']);
  const table = q1.getByRole('table');
  assert.ok(await table.isVisible());
  assert.deepEqual((await table.locator('thead th').allTextContents()), [S['res.table.answer'], 'Bergen', fill(S['res.pop.previous'], { unit: 'Bergen', survey: '2025' }), 'Vestland', S['res.pop.size_band.20000_plus'], fill(S['res.pop.kostra_group.n'], { n: 12 }), S['res.pop.national']]);
  const agree = table.locator('tbody tr', { has: page.getByRole('rowheader', { name: optionLabel(q1def, '4'), exact: true }) });
  assert.equal(nbsp(await agree.locator('td').first().textContent()), '40 % (6)');
  assert.equal(nbsp(await table.locator('tr.mean td').first().textContent()), '4,07');
  assert.equal(nbsp(await table.locator('tr.n td').first().textContent()), '15');

  await assertAccessible(page, 'the report');
  await done(page);
});

test('withheld cells are explained, and the group filter changes the figures', async () => {
  const page = await newPage();
  await open(page);
  assert.equal(await page.locator('#live').isVisible(), false, 'no live count when /count answers 404');
  const q1 = page.locator('#q-q_nytte_1');
  await q1.locator('button.toggle').focus();
  await page.keyboard.press('Enter');
  assert.equal(await q1.locator('button.toggle').getAttribute('aria-expanded'), 'true', 'Enter shows the table');
  const nRow = q1.locator('tr.n td');
  assert.deepEqual(await nRow.allTextContents(), ['15', '20', '31', '300', '120', '900']);
  assert.equal(await page.locator('td.withheld').count(), 0, 'nothing withheld for all participants');

  // By keyboard: Tab to the group filter, arrows move between groups.
  for (let i = 0; i < 60 && !(await page.evaluate(() => document.activeElement?.name === 'group')); i++) await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.value), 'all', 'Tab reaches the filter');
  await page.keyboard.press('ArrowDown');
  await page.waitForFunction(() => document.querySelectorAll('#q-q_nytte_1 tr.n td').length === 3 && document.querySelector('#q-q_nytte_1 tr.n td').textContent === '10');
  await page.keyboard.press('ArrowDown');

  // The introduction programme: the unit has too few answers, the county's figure protects others.
  assert.equal(await page.getByRole('radio', { name: planNamed('groups', 'intro') }).isChecked(), true);
  await page.waitForFunction((t) => document.getElementById('announce')?.textContent === t, fill(S['res.filter.shown'], { group: planNamed('groups', 'intro') }));
  assert.ok(page.url().includes('group=intro'));
  assert.equal(await text(page.locator('.showing')), fill(S['res.filter.shown'], { group: planNamed('groups', 'intro') }));
  const chart = await text(q1.locator('svg.chart'));
  assert.ok(chart.includes(S['res.withheld.too_few_answers']), `the unit's bar says why: ${chart}`);
  assert.ok(chart.includes(S['res.withheld.protects_others']), 'the county\'s bar says why');
  const label = await q1.locator('svg.chart').getAttribute('aria-label');
  assert.ok(label.includes(`Bergen: ${S['res.withheld.too_few_answers']}`), 'the text alternative says so too');
  assert.equal(await q1.getByRole('button', { name: S['res.table.hide'] }).getAttribute('aria-expanded'), 'true', 'the table stays open');
  assert.deepEqual(await q1.locator('td.withheld').allTextContents(), [S['res.withheld.too_few_answers'], S['res.withheld.protects_others']]);
  assert.deepEqual(await q1.locator('tr.n td').allTextContents(), ['400'], 'only the nation has figures');
  const single = page.locator('#q-q_gender .legend');
  assert.ok((await text(single)).includes(`Bergen: ${S['res.withheld.too_few_answers']}`), 'bar charts list withheld populations in the legend');
  assert.ok((await text(single)).includes(`Vestland: ${S['res.withheld.protects_others']}`));
  assert.equal(await page.locator('#themes-note').isVisible(), true, 'the themes say they cover everyone');
  await assertAccessible(page, 'the report filtered to a group with withheld cells');

  // Training: the unit's own figures for that group.
  await page.getByRole('radio', { name: planNamed('groups', 'training') }).check();
  await page.waitForFunction(() => document.querySelectorAll('#q-q_nytte_1 tr.n td').length === 3);
  assert.deepEqual(await q1.locator('tr.n td').allTextContents(), ['10', '20', '600']);
  const q = REPORT.questions.find((x) => x.id === 'q_nytte_1').groups.training.unit;
  assert.ok((await text(q1.locator('svg.chart'))).includes(`Bergen · n = 10 · snitt ${q.mean.toFixed(1).replace('.', ',')}`));

  await page.getByRole('radio', { name: S['res.filter.all'] }).check();
  await page.waitForFunction(() => document.querySelector('#q-q_nytte_1 tr.n td')?.textContent === '15');
  assert.ok(!page.url().includes('group='));
  await done(page);
});

test('CSV download: UTF-8 with a BOM, one row per population × question × option, follows the filter', async () => {
  const page = await newPage();
  await open(page);
  const { name, bytes } = await download(page, S['res.dl.csv']);
  assert.equal(name, `resultater-${SURVEY}-${UNIT}.csv`);
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'starts with a UTF-8 BOM');
  const rows = parseCSV(bytes.toString('utf8').slice(1), ';');
  const header = csvHeader();
  assert.deepEqual(rows[0], header);
  assert.equal(rows.length - 1, expectedRows(), 'one row per population × question × option');
  assert.ok(rows.every((r) => r.length === header.length), 'every row has every column');
  const q1def = qn.questions.find((d) => d.id === 'q_nytte_1');
  const agree = rows.filter((r) => r[0] === 'Bergen' && r[1] === C['q.q_nytte_1.text'] && r[2] === optionLabel(q1def, '4'));
  assert.deepEqual(agree, [['Bergen', C['q.q_nytte_1.text'], optionLabel(q1def, '4'), '6', '15', '40', '4,07', '']]);
  const dk = rows.find((r) => r[0] === 'Bergen' && r[1] === C['q.q_nytte_1.text'] && r[2] === C['opt.dont_know']);
  assert.deepEqual(dk.slice(3, 6), ['1', '15', '6,7']);
  assert.ok(!rows.some((r) => r[1] === C['q.q_leave.text']), 'no screening question in the download');
  const age = rows.filter((r) => r[0] === 'Bergen' && r[1] === C['q.q_age.text']);
  assert.ok(age.length > 0 && age.every((r) => r[4] === '0' && r[5] === '' && r[7] === S['res.no_answers']), 'no answers: n 0, no share');
  // Totals agree with the report.
  for (const q of SHOWN) {
    const mine = rows.filter((r) => r[0] === 'Vestland' && r[1] === C[`q.${q.id}.text`]);
    assert.equal(mine.reduce((s, r) => s + Number(r[3]), 0), Object.values(q.county.counts).reduce((a, b) => a + b, 0), `county counts of ${q.id}`);
  }

  await page.getByRole('radio', { name: planNamed('groups', 'intro') }).check();
  const intro = await download(page, S['res.dl.csv']);
  assert.equal(intro.name, `resultater-${SURVEY}-${UNIT}-intro.csv`);
  const irows = parseCSV(intro.bytes.toString('utf8').slice(1), ';');
  assert.equal(irows.length - 1, expectedRows(3), 'a group has no size band or KOSTRA figures');
  const unitRows = irows.filter((r) => r[0] === `Bergen – ${planNamed('groups', 'intro', 'short')}`);
  assert.ok(unitRows.length > 0 && unitRows.every((r) => r[3] === '' && r[4] === '' && r[7] === S['res.withheld.too_few_answers']), 'withheld rows carry the reason');
  assert.ok(irows.some((r) => r[0].startsWith('Vestland') && r[7] === S['res.withheld.protects_others']));
  await done(page);
});

test('XLSX download: a well-formed workbook (stored ZIP, CRC-32, XML) with the same rows', async (t) => {
  const page = await newPage();
  await open(page);
  const { name, bytes } = await download(page, S['res.dl.xlsx']);
  assert.equal(name, `resultater-${SURVEY}-${UNIT}.xlsx`);
  const files = readZip(bytes);
  for (const part of ['[Content_Types].xml', '_rels/.rels', 'xl/workbook.xml', 'xl/_rels/workbook.xml.rels', 'xl/styles.xml', 'xl/worksheets/sheet1.xml', 'xl/worksheets/sheet2.xml']) {
    assert.ok(files.has(part), `has ${part}`);
  }
  // Every part is well-formed XML (parsed by the browser).
  const parsed = await page.evaluate((parts) => parts.map(([n, x]) => {
    const doc = new DOMParser().parseFromString(x, 'application/xml');
    const err = doc.getElementsByTagName('parsererror')[0];
    return { n, err: err ? err.textContent : null, root: doc.documentElement.localName };
  }), [...files]);
  for (const p of parsed) assert.equal(p.err, null, `${p.n} is well-formed`);
  const sheet = await page.evaluate((x) => {
    const doc = new DOMParser().parseFromString(x, 'application/xml');
    return [...doc.getElementsByTagName('row')].map((r) => [...r.getElementsByTagName('c')].map((c) => ({
      ref: c.getAttribute('r'), type: c.getAttribute('t'), text: c.textContent,
    })));
  }, files.get('xl/worksheets/sheet1.xml'));
  assert.equal(sheet.length - 1, expectedRows());
  assert.deepEqual(sheet[0].map((c) => c.text), csvHeader());
  const q1def = qn.questions.find((d) => d.id === 'q_nytte_1');
  const agree = sheet.find((r) => r[0].text === 'Bergen' && r[1].text === C['q.q_nytte_1.text'] && r[2].text === optionLabel(q1def, '4'));
  assert.deepEqual(agree.slice(3).map((c) => [c.type, c.text]), [[null, '6'], [null, '15'], [null, '40'], [null, '4.07']], 'numbers are numbers');
  assert.match(files.get('xl/workbook.xml'), /<sheet name="Spørsmål" sheetId="1" r:id="rId1"\/><sheet name="Hovedtemaer"/);

  // Opened by LibreOffice when it is installed (apt-get install libreoffice-calc-nogui).
  const soffice = ['/usr/bin/soffice', '/usr/bin/libreoffice'].find(existsSync);
  if (!soffice) {
    t.diagnostic('LibreOffice not installed: conversion check skipped');
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'results-xlsx-'));
    try {
      const file = join(dir, 'r.xlsx');
      (await import('node:fs')).writeFileSync(file, bytes);
      execFileSync(soffice, [`-env:UserInstallation=file://${dir}/profile`, '--headless', '--convert-to', 'csv:Text - txt - csv (StarCalc):59,34,76,1,,0,false,true,true,false,false,-1', '--outdir', dir, file], { stdio: 'ignore', timeout: 180000 });
      const out = readdirSync(dir).filter((f) => f.endsWith('.csv')).sort();
      assert.equal(out.length, 2, `LibreOffice wrote both sheets: ${out}`);
      const csv = parseCSV(readFileSync(join(dir, out.find((f) => f.includes('Sp'))), 'utf8'), ';');
      assert.equal(csv.length - 1, expectedRows(), 'LibreOffice reads every row');
      assert.ok(csv.some((r) => r[0] === 'Bergen' && r[2] === optionLabel(q1def, '4') && r[3] === '6' && r[5] === '40.0'));
      const themes = parseCSV(readFileSync(join(dir, out.find((f) => f.includes('Hoved'))), 'utf8'), ';');
      assert.deepEqual(themes[1].slice(0, 4), ['Bergen', planNamed('indices', 'usefulness'), '72.5', '15']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  await done(page);
});

test('a suppressed report says how many answered and how many are needed; only county and nation are shown', async () => {
  const page = await newPage({ report: SUPPRESSED });
  await open(page);
  const box = page.locator('#suppressed');
  assert.ok(await box.isVisible());
  assert.equal(await text(box.locator('h2')), fill(S['res.suppressed.title'], { respondents: '7', min: '10' }));
  assert.ok((await text(page.locator('.facts'))).includes('7 av 40'), 'respondents are still shown');
  // The box comes before the charts.
  assert.ok(await page.evaluate(() => !!(document.getElementById('suppressed').compareDocumentPosition(document.getElementById('s-themes')) & Node.DOCUMENT_POSITION_FOLLOWING)));
  for (const q of SUPPRESSED.questions.filter((x) => !screening(x.id))) {
    const legend = page.locator(`#q-${q.id} .legend`);
    const shown = `${await text(page.locator(`#q-${q.id} svg.chart`))} ${(await legend.count()) ? await text(legend) : ''}`;
    assert.ok(shown.includes(S['res.withheld.too_few_answers']), `${q.id}: the unit is withheld`);
  }
  assert.ok((await text(page.locator('figure.ix').first().locator('svg.chart'))).includes(S['res.withheld.too_few_answers']));
  assert.equal(await page.locator('td.withheld').count(), SHOWN.length + 3, 'one withheld column per table');
  await assertAccessible(page, 'a suppressed report');
  await done(page);
});

// A report whose unit figures are all withheld for `reason`, with 12 answers
// (more than the 10 needed); before the release the county and the nation wait too.
function withheldFor(reason) {
  const r = buildReport();
  const w = { withheld: true, reason };
  const areas = reason === 'not_released_yet';
  r.suppressed = true;
  r.withheld_reason = reason;
  r.respondents = 12;
  r.response_rate = 30;
  for (const q of r.questions) {
    q.unit = w;
    if (areas) Object.assign(q, { county: w, size_band: w, kostra_group: w, national: w });
    for (const g of Object.values(q.groups)) Object.assign(g, areas ? { unit: w, county: w, national: w } : { unit: w });
  }
  r.indices = r.indices.map((ix) => ({ ...ix, unit: w, ...(areas ? { county: w, size_band: w, kostra_group: w, national: w } : {}) }));
  return r;
}

test('a unit withheld to protect others is told so, never "too few answers"; one not released yet is told when results come', async () => {
  const shots = mkdtempSync(join(tmpdir(), 'results-withheld-'));
  for (const [reason, key, count] of [['protects_others', 'res.protects', undefined], ['not_released_yet', 'res.not_released', { status: 200, body: { status: 'open', respondents: 12 } }]]) {
    for (const width of [360, 1280]) {
      const page = await newPage({ report: withheldFor(reason), count }, { viewport: { width, height: 900 } });
      await open(page);
      const box = page.locator('#suppressed');
      assert.equal(await text(box.locator('h2')), fill(S[`${key}.title`], { unit: 'Bergen' }));
      assert.equal(await text(box.locator('p')), fill(S[`${key}.text`], { unit: 'Bergen', respondents: '12' }));
      const all = await text(page.locator('main'));
      assert.ok(!all.includes(S['res.withheld.too_few_answers']), `${reason}: no "too few answers" anywhere`);
      assert.ok(!all.includes(nbsp(fill(S['res.suppressed.title'], { respondents: '12', min: '10' }))), `${reason}: not "12 av de 10 som trengs"`);
      assert.ok(!/som trengs/.test(all), reason);
      if (count) {
        await page.waitForFunction(() => !document.getElementById('live')?.hidden, null, { timeout: 10000 });
        assert.ok((await text(page.locator('#live'))).includes('12'), 'the live count is shown');
      }
      assert.ok(await noHorizontalScroll(page), `${reason} at ${width} px`);
      if (width === 360) await assertAccessible(page, `a report withheld (${reason})`);
      assert.equal(await page.locator('[style]').count(), 0, 'no style attributes');
      // Last: taking a screenshot leaves empty style attributes on the radio buttons.
      await page.screenshot({ path: join(shots, `${reason}-${width}.png`) });
      assert.deepEqual(page.errors, [], 'no errors or CSP violations in the page');
    }
  }
  console.log(`screenshots in ${shots}`);
});

// ---------- errors and the form for a new link ----------

test('errors: 401, 403, 404 (with the live count), 410 (with the date), network; axe on each', async () => {
  const cases = [
    { api: { status: 401, error: 'invalid_token' }, title: S['err.invalid_token.title'], says: S['err.invalid_token.text'], form: true },
    { api: { status: 403, error: 'wrong_unit' }, title: S['err.wrong_unit.title'], says: fill(S['err.wrong_unit.text'], { unit: UNIT }), form: true },
    { api: { status: 404, error: 'no_report', count: { status: 200, body: { respondents: 4, status: 'open' } } }, title: S['err.no_report.title'], says: S['err.no_report.text'], also: fill(S['res.live'], { n: '4' }) },
    { api: { status: 410, error: 'results_expired', surveys: { survey_id: SURVEY, results_until: '2027-09-30T22:00:00Z', status: 'closed' } }, title: S['err.results_expired.title'], says: fill(S['err.results_expired.text'], { date: '30. september 2027' }) },
  ];
  for (const c of cases) {
    const page = await newPage(c.api);
    await open(page, PAGE, c.title);
    const body = await text(page.locator('main'));
    assert.ok(body.includes(c.says), `${c.api.error}: says "${c.says}" in "${body}"`);
    if (c.also) assert.ok(body.includes(c.also), `${c.api.error}: ${c.also}`);
    assert.equal(await page.getByRole('button', { name: S['acc.submit'] }).count(), c.form ? 1 : 0, `${c.api.error}: the form for a new link`);
    assert.equal(await page.getByRole('button', { name: S['res.dl.csv'] }).count(), 0);
    assert.equal(await page.title(), `${c.title} – ${S.app_title}`);
    await assertAccessible(page, `the ${c.api.status} page`);
    await done(page);
  }

  // A network failure offers to try again, which then works.
  const page = await newPage({ abort: true });
  await open(page, PAGE, S['err.load.title']);
  page.api.abort = false;
  await page.getByRole('button', { name: S.retry }).click();
  await waitHeading(page, fill(S['res.h1'], { unit: 'Bergen' }));
  assert.equal(page.seen.reportCalls, 2);
  await done(page);
});

test('the form for a new link checks its fields, posts, and says a link is on its way', async () => {
  const page = await newPage({ status: 401, error: 'invalid_token' });
  await open(page, PAGE, S['err.invalid_token.title']);
  const email = page.getByLabel(S['acc.email.label']);
  const unit = page.getByRole('combobox', { name: S['acc.unit.label'] });
  assert.equal(await unit.inputValue(), 'Bergen', 'the unit comes from the link, found by its number');
  await page.getByRole('button', { name: S['acc.submit'] }).click();
  await page.waitForFunction(() => document.activeElement?.id === 'acc-email');
  assert.equal(await email.getAttribute('aria-invalid'), 'true');
  assert.ok((await text(page.locator('#acc-email-err'))).includes(S['acc.err.email']));
  assert.equal(page.seen.access.length, 0, 'nothing sent while the form has errors');

  await page.locator('#acc-email').fill('kontakt@bergen.kommune.no');
  await page.keyboard.press('Enter');
  const msg = fill(S['acc.done'], { unit: 'Bergen' });
  await page.waitForFunction((m) => document.activeElement?.textContent.includes(m), msg);
  assert.deepEqual(page.seen.access, [{ survey_id: SURVEY, unit: UNIT, email: 'kontakt@bergen.kommune.no' }]);
  assert.equal(await page.getByRole('status').filter({ hasText: msg }).count(), 1, 'the message is in a status region');
  await assertAccessible(page, 'the confirmation');
  await done(page);

  // The server refuses the request: the form says so and keeps what was typed.
  const refused = await newPage({ status: 401, error: 'invalid_token', accessStatus: 400 });
  await open(refused, PAGE, S['err.invalid_token.title']);
  await refused.getByLabel(S['acc.email.label']).fill('kontakt@bergen.kommune.no');
  await refused.getByRole('button', { name: S['acc.submit'] }).click();
  await refused.waitForFunction(() => document.activeElement?.id === 'acc-form-err');
  assert.equal(await text(refused.locator('#acc-form-err')), S['acc.err.invalid']);
  assert.equal(await refused.getByLabel(S['acc.email.label']).inputValue(), 'kontakt@bergen.kommune.no');
  assert.equal(await refused.locator('.acc-status').textContent(), '', 'no "sending" left behind');
  await done(refused);

  // A link without its token: the start page's form, with the unit from the link chosen.
  const bare = await newPage();
  await open(bare, `/resultater/?survey=${SURVEY}&unit=${UNIT}`, S['start.title']);
  assert.equal(await bare.getByRole('combobox', { name: S['acc.unit.label'] }).inputValue(), 'Bergen');
  assert.equal(await text(bare.locator('#acc-unit-chosen')), fill(S['acc.unit.chosen'], { name: 'Bergen', county: 'Vestland', number: UNIT }));
  assert.equal(bare.seen.reportCalls, 0, 'nothing asked for without a token');
  await bare.getByRole('combobox', { name: S['acc.unit.label'] }).fill('Atlantis');
  await bare.getByLabel(S['acc.email.label']).fill('a@b.no');
  await bare.getByRole('button', { name: S['start.submit'] }).click();
  await bare.waitForFunction(() => document.activeElement?.id === 'acc-unit');
  assert.ok((await text(bare.locator('#acc-unit-err'))).includes(S['acc.err.unit']));
  assert.equal(bare.seen.access.length, 0);
  await assertAccessible(bare, 'the form with an error');
  await done(bare);
});

// ---------- the start page: /resultater/ without a link ----------

for (const [lang, width] of [['nb', 360], ['nn', 1280], ['en', 360]]) {
  test(`/resultater/ without a token (${lang}, ${width} px): the form for a link as a normal start; a unit found by name or number; a shared name asks for a choice`, async () => {
    const L = (await getJSON(`/resultater/i18n/${lang}.json`)).strings;
    const page = await newPage({}, { viewport: { width, height: 800 } });
    await page.goto(`${BASE}/resultater/?lang=${lang}`);
    await waitHeading(page, L['start.title']);
    assert.equal(await page.locator('main .error:not(:empty)').count(), 0, 'no error on a normal start');
    assert.equal(await page.locator('h1').count(), 1);
    assert.equal(await page.locator('main h2').count(), 0, 'the form is the page: no second title');
    const unit = page.getByRole('combobox', { name: L['acc.unit.label'] });
    const email = page.getByLabel(L['acc.email.label']);
    const send = page.getByRole('button', { name: L['start.submit'] });

    // A name, typed without its letters (tromso), picked from the list.
    await unit.fill('tromso');
    const option = page.getByRole('option', { name: /Tromsø/ });
    await option.waitFor();
    await option.click();
    assert.equal(await unit.inputValue(), 'Tromsø');
    await email.fill('kontakt@tromso.kommune.no');
    await send.click();
    await page.waitForFunction(() => document.activeElement?.id === 'acc-done');
    assert.deepEqual(page.seen.access, [{ survey_id: SURVEY, unit: '5501', email: 'kontakt@tromso.kommune.no' }]);
    assert.ok((await text(page.locator('#acc-done'))).includes('Tromsø'), 'the confirmation names the unit');
    await assertAccessible(page, `the start page's confirmation in ${lang}`);
    await done(page);

    // A number still works, typed and sent without touching the list.
    const byNumber = await newPage({}, { viewport: { width, height: 800 } });
    await byNumber.goto(`${BASE}/resultater/?lang=${lang}`);
    await waitHeading(byNumber, L['start.title']);
    await byNumber.getByRole('combobox', { name: L['acc.unit.label'] }).fill('5501');
    await byNumber.getByLabel(L['acc.email.label']).fill('a@b.no');
    await byNumber.keyboard.press('Enter');
    await byNumber.waitForFunction(() => document.activeElement?.id === 'acc-done');
    assert.deepEqual(byNumber.seen.access, [{ survey_id: SURVEY, unit: '5501', email: 'a@b.no' }]);
    await done(byNumber);

    // Herøy is two municipalities: the form asks which, and sends the chosen one.
    const shared = await newPage({}, { viewport: { width, height: 800 } });
    await shared.goto(`${BASE}/resultater/?lang=${lang}`);
    await waitHeading(shared, L['start.title']);
    await shared.getByLabel(L['acc.email.label']).fill('a@b.no');
    await shared.getByRole('combobox', { name: L['acc.unit.label'] }).fill('Herøy');
    await shared.getByRole('combobox', { name: L['acc.unit.label'] }).press('Escape');
    await shared.getByRole('button', { name: L['start.submit'] }).click();
    await shared.waitForFunction(() => document.activeElement?.id === 'acc-unit');
    assert.ok((await text(shared.locator('#acc-unit-err'))).includes(L['acc.err.unit_choose']));
    assert.deepEqual(await shared.getByRole('option').allTextContents(), ['Herøy (Møre og Romsdal) (Møre og Romsdal, 1515)', 'Herøy (Nordland) (Nordland, 1818)']);
    assert.equal(shared.seen.access.length, 0, 'nothing sent until one is chosen');
    await assertAccessible(shared, `the choice between units in ${lang}`);
    await shared.keyboard.press('ArrowDown');
    await shared.keyboard.press('ArrowDown');
    await shared.keyboard.press('Enter');
    assert.equal(await shared.getByRole('combobox', { name: L['acc.unit.label'] }).inputValue(), 'Herøy (Nordland)');
    await shared.getByRole('button', { name: L['start.submit'] }).click();
    await shared.waitForFunction(() => document.activeElement?.id === 'acc-done');
    assert.deepEqual(shared.seen.access, [{ survey_id: SURVEY, unit: '1818', email: 'a@b.no' }]);
    await done(shared);
  });
}

// ---------- layout, print, languages ----------

test('320 px wide: no horizontal scroll with every table shown; charts scale to the width', async () => {
  const page = await newPage({}, { viewport: { width: 320, height: 640 }, isMobile: true, hasTouch: true });
  await open(page);
  assert.ok(await noHorizontalScroll(page), 'no horizontal scroll');
  const toggles = page.getByRole('button', { name: S['res.table.show'] });
  const n = await toggles.count();
  assert.equal(n, SHOWN.length + 3);
  for (let i = 0; i < n; i++) await toggles.first().click();
  assert.ok(await noHorizontalScroll(page), 'no horizontal scroll with the tables shown');
  const widths = await page.$$eval('svg.chart', (l) => l.map((s) => s.getBoundingClientRect().right));
  assert.ok(widths.every((w) => w <= 320), 'charts fit');
  await done(page);
});

test('print: a few A4 pages, the index summary first, no buttons or forms, charts whole', async () => {
  const page = await newPage();
  await open(page);
  await page.emulateMedia({ media: 'print' });
  const look = await page.evaluate(() => ({
    buttons: [...document.querySelectorAll('button, form, nav')].filter((b) => b.getBoundingClientRect().height > 0).length,
    header: getComputedStyle(document.getElementById('top')).display,
    charts: [...document.querySelectorAll('svg.chart')].filter((s) => s.getBoundingClientRect().height > 0).length,
    forced: [...document.querySelectorAll('main *')].filter((e) => ['page', 'always', 'left', 'right'].includes(getComputedStyle(e).breakBefore)).length,
    whole: [...document.querySelectorAll('figure')].every((f) => getComputedStyle(f).breakInside === 'avoid'),
    order: [...document.querySelectorAll('main section.block')].map((s) => s.id),
  }));
  assert.equal(look.buttons, 0, 'no buttons, forms or navigation in print');
  assert.equal(look.header, 'none');
  assert.equal(look.charts, SHOWN.length + 3, 'every chart prints');
  assert.equal(look.forced, 0, 'no forced page breaks (they leave half-empty pages)');
  assert.ok(look.whole, 'charts are kept together');
  assert.equal(look.order[0], 's-themes', 'the index summary comes first');
  const started = Date.now();
  const pdf = await page.pdf({ format: 'A4', preferCSSPageSize: true });
  const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page\b(?!s)/g) || []).length;
  console.log(`# the test report prints on ${pages} A4 pages`);
  // Four populations a chart (the size band came in 2026) print on 8 pages.
  assert.ok(pages >= 2 && pages <= 8, `the report prints on at most 8 A4 pages (was 26): ${pages}`);
  assert.ok(pdf.length < 3e6 && Date.now() - started < 15000, `charts print as vectors: ${pdf.length} bytes in ${Date.now() - started} ms`);
  await page.emulateMedia({ media: 'screen' });
  await done(page);
});

test('each theme has a small line of the whole country over the waves IMDi keeps, its values in its text alternative', async () => {
  const trend = [
    { survey_id: '2024', closed_on: '2024-11-30', indices: { usefulness: 66.0, motivation: 74.1, wellbeing: 70.2 } },
    { survey_id: '2025', closed_on: '2025-11-30', indices: { usefulness: 67.2, motivation: 75.0, wellbeing: 69.5 } },
    { survey_id: SURVEY, closed_on: '2026-11-30', indices: { usefulness: 68.0, motivation: 75.9, wellbeing: 69.1 } },
  ];
  const page = await newPage({ keyFigures: { survey_id: SURVEY, trend } }, { viewport: { width: 1280, height: 900 } });
  await open(page);
  const spark = page.locator('#trend-usefulness');
  assert.equal(await text(spark.locator('.spark-title')), S['res.trend.title']);
  const alt = nbsp(await spark.locator('svg.chart[role=img]').getAttribute('aria-label'));
  for (const part of ['2024 66,0', '2025 67,2', `${SURVEY} 68,0`]) assert.ok(alt.includes(part), `${part} in ${alt}`);
  assert.equal(await spark.locator('svg.chart path[stroke-width="2.5"]').count(), 1, 'one line: the whole country');
  assert.equal(await page.locator('.spark').count(), 3, 'one for each theme');
  await assertAccessible(page, 'the report with the national trend');
  await done(page);

  const alone = await newPage({ keyFigures: { survey_id: SURVEY, trend: trend.slice(2) } });
  await open(alone);
  assert.equal(await alone.locator('.spark').count(), 0, 'no line with one wave');
  await done(alone);
});

for (const width of [360, 1280]) {
  test(`at ${width} px a screen reader meets every chart as an image with a text alternative, and its table; axe`, async () => {
    const page = await newPage({}, { viewport: { width, height: 900 } });
    await open(page);
    const figures = await page.locator('figure.q, figure.ix').all();
    assert.equal(figures.length, SHOWN.length + 3);
    for (const fig of figures) {
      const snapshot = await fig.ariaSnapshot();
      assert.match(snapshot, /img "[^"]{20,}"/, 'the chart is an image with a text alternative');
      assert.match(snapshot, /- table "/, 'its table, named by its caption, is there for a screen reader even when hidden from view');
    }
    const bergen = page.locator('#q-q_nytte_1 table');
    const rows = await bergen.locator('thead th').allTextContents();
    assert.ok(rows.includes(S['res.pop.size_band.20000_plus']) && rows.includes(fill(S['res.pop.previous'], { unit: 'Bergen', survey: '2025' })), `${rows}`);
    assert.ok(await noHorizontalScroll(page), 'no sideways scrolling');
    await assertAccessible(page, `the report at ${width} px`);
    await done(page);
  });
}

// ---------- layout of the report on screen ----------

test('on a desktop: a contents list of jump links, a heading hierarchy, option labels smaller than question titles, a short page', async () => {
  const page = await newPage({}, { viewport: { width: 1280, height: 900 } });
  await open(page);
  const toc = page.getByRole('navigation', { name: S['res.toc'] });
  const links = await toc.getByRole('link').evaluateAll((l) => l.map((a) => a.getAttribute('href')));
  const ids = await page.$$eval('main section.block', (l) => l.map((s) => '#' + s.id));
  assert.deepEqual(links, ids, 'one jump link per section, in page order, the index summary first');
  assert.equal(links[0], '#s-themes');
  const heads = await page.$$eval('main h1, main h2, main h3', (l) => l.map((h) => Number(h.tagName[1])));
  assert.equal(heads.filter((h) => h === 1).length, 1, 'one h1');
  assert.ok(heads.every((h, i) => i === 0 || h <= heads[i - 1] + 1), 'no heading level skipped');
  const q3 = await page.$$eval('figure.q h3', (l) => l.length);
  assert.equal(q3, SHOWN.length, 'an h3 per question');
  const sizes = await page.evaluate(() => [...document.querySelectorAll('figure.q')].map((f) => {
    const title = parseFloat(getComputedStyle(f.querySelector('h3')).fontSize);
    const labels = [...f.querySelectorAll('svg.chart text.lbl, .legend li')].map((x) => (x.tagName === 'LI' ? parseFloat(getComputedStyle(x).fontSize) : x.getBoundingClientRect().height / 1.15));
    return { id: f.id, title, label: Math.max(...labels) };
  }));
  for (const s of sizes) assert.ok(s.label < s.title, `${s.id}: option labels (${s.label.toFixed(1)} px) smaller than the question title (${s.title} px)`);
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  console.log(`# the test report is ${height} px tall at 1280 px`);
  assert.ok(height < 10500, `the page is far shorter than 23,000 px: ${height} px`);
  await done(page);
});

test('at 360 px no two labels of a chart overlap, in any chart and any group', async () => {
  const overlaps = () => [...document.querySelectorAll('svg.chart')].flatMap((svg) => {
    const boxes = [...svg.querySelectorAll('text')].filter((t) => t.getAttribute('visibility') !== 'hidden' && t.textContent.trim())
      .map((t) => ({ t: t.textContent, r: t.getBoundingClientRect() }));
    const out = [];
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i].r;
        const b = boxes[j].r;
        const x = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const y = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (x > 0.5 && y > 0.5) out.push(`${svg.closest('figure').id}: "${boxes[i].t}" / "${boxes[j].t}"`);
      }
    }
    return out;
  });
  const inSegments = () => [...document.querySelectorAll('svg.chart g.bar')].flatMap((g) => {
    const rects = [...g.querySelectorAll('rect')].map((r) => r.getBoundingClientRect());
    return [...g.querySelectorAll('text')].filter((t) => t.getAttribute('visibility') !== 'hidden').filter((t) => {
      const r = t.getBoundingClientRect();
      const mid = (r.left + r.right) / 2;
      const seg = rects.find((s) => s.left <= mid && mid <= s.right);
      return !seg || r.left < seg.left - 0.5 || r.right > seg.right + 0.5;
    }).map((t) => `${g.closest('figure').id}: "${t.textContent}"`);
  });
  // Narrow shares: 4 % to 8 % segments side by side, as in the issue ("8 %8 %").
  const narrow = { ...REPORT, questions: REPORT.questions.map((q) => (q.type === 'scale'
    ? { ...q, unit: { n: 25, counts: { 1: 2, 2: 1, 3: 2, 4: 18, 5: 1, dont_know: 1 }, mean: 3.6 } } : q)) };
  for (const [name, report] of [['the test report', REPORT], ['narrow segments', narrow]]) {
    const page = await newPage({ report }, { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
    await open(page);
    if (report === narrow) {
      const hidden = await page.locator('svg.chart g.bar text[visibility=hidden]').count();
      assert.ok(hidden > 0, 'labels that do not fit are hidden');
      const seg = page.locator('#q-q_nytte_1 svg.chart g.bar').first().locator('rect title');
      assert.deepEqual(await seg.allTextContents(), ['8 %', '4 %', '8 %', '72 %', '4 %', '4 %'].map((x) => x.replace(' ', '\u00a0')), 'each segment keeps its value as a title');
    }
    for (const group of ['all', 'training']) {
      if (group !== 'all') await page.getByRole('radio', { name: planNamed('groups', group) }).check();
      assert.deepEqual(await page.evaluate(overlaps), [], `${name}, ${group}: no labels overlap`);
      assert.deepEqual(await page.evaluate(inSegments), [], `${name}, ${group}: every shown label fits inside its segment`);
    }
    await done(page);
  }
});

test('values inside stacked bars stay inside their segment, halo included, so neighbours never run together', async () => {
  const seg = (key, share) => ({ key, share, text: `${Math.round(share * 100)} %` });
  // Runs of small neighbours, the case that printed "8 %8 %".
  const rows = [
    { label: 'a', segments: [seg('s1', 0.08), seg('s2', 0.09), seg('s3', 0.08), seg('s4', 0.75)] },
    { label: 'b', segments: [seg('s1', 0.1), seg('s2', 0.09), seg('s3', 0.11), seg('s4', 0.12), seg('s5', 0.58)] },
    { label: 'c', segments: [seg('s1', 0.07), seg('s2', 0.18), seg('s3', 0.75)] },
  ];
  const page = await newPage({}, { viewport: { width: 360, height: 800 }, isMobile: true, hasTouch: true });
  await open(page);
  const drawn = await page.evaluate(async (rows) => {
    const m = await import('/resultater/charts.js');
    const svg = m.stacked(rows, 'test');
    document.querySelector('main').append(svg);
    m.fitTexts(svg.parentElement);
    const out = [...svg.querySelectorAll('g.bar')].map((g) => [...g.querySelectorAll('text')].filter((t) => t.getAttribute('visibility') !== 'hidden')
      .map((t) => ({ x: Number(t.getAttribute('x')), len: t.getComputedTextLength(), text: t.textContent })));
    svg.remove();
    return { out, W: m.W };
  }, rows);
  const HALO = 1.5;
  for (const [i, labels] of drawn.out.entries()) {
    let x = 0.5;
    const spans = rows[i].segments.map((sg) => { const w = sg.share * (drawn.W - 1); const span = [x, x + w]; x += w; return span; });
    for (const l of labels) {
      const [a, b] = [l.x - l.len / 2 - HALO, l.x + l.len / 2 + HALO];
      assert.ok(spans.some(([s0, s1]) => a >= s0 && b <= s1), `row ${i}: "${l.text}" (${a.toFixed(1)}..${b.toFixed(1)}) spills out of its segment ${JSON.stringify(spans.map((sp) => sp.map((v) => v.toFixed(1))))}`);
    }
  }
  assert.ok(drawn.out.flat().some((l) => l.text === '75 %'), 'wide segments keep their values');
  await done(page);
});

test('each question title is larger than the option labels of its chart, on a phone and a desktop', async () => {
  for (const viewport of [{ width: 360, height: 800 }, { width: 1280, height: 900 }]) {
    const page = await newPage({}, { viewport });
    await open(page);
    const sizes = await page.$$eval('figure.q', (figs) => figs.map((f) => {
      const title = parseFloat(getComputedStyle(f.querySelector('h3')).fontSize);
      const svg = f.querySelector('svg.chart');
      const scale = svg ? svg.getBoundingClientRect().width / svg.viewBox.baseVal.width : 1;
      const labels = svg ? [...svg.querySelectorAll('text.lbl')].map((t) => parseFloat(t.getAttribute('font-size')) * scale) : [];
      return { id: f.id, title, label: Math.max(0, ...labels) };
    }));
    assert.ok(sizes.length > 10);
    for (const z of sizes) assert.ok(z.label < z.title, `${viewport.width} px, ${z.id}: label ${z.label.toFixed(1)} px vs title ${z.title} px`);
    await done(page);
  }
});

test('screening questions (an option ends the survey) are never charted, in any language', async () => {
  for (const lang of ['nb', 'nn', 'en']) {
    const page = await newPage();
    await open(page, `${PAGE}&lang=${lang}`, fill((await getJSON(`/resultater/i18n/${lang}.json`)).strings['res.h1'], { unit: 'Bergen' }));
    const ids = await page.$$eval('figure.q', (l) => l.map((f) => f.id.slice(2)));
    assert.deepEqual(ids, SHOWN.map((q) => q.id));
    for (const q of REPORT.questions.filter((x) => screening(x.id))) {
      assert.equal(await page.locator(`#q-${q.id}`).count(), 0, `${q.id} is not charted`);
      assert.equal(await page.getByText(C[`q.${q.id}.text`]).count(), 0, `${q.id} is not named anywhere`);
    }
    assert.ok(ids.includes('q_group'), 'a question that only routes (no option ends the survey) is still shown');
    await done(page);
  }
});

test('languages: English texts from the content, nynorsk with bokmål question texts; the filter is kept', async () => {
  const page = await newPage();
  await open(page, PAGE + '&lang=en', 'Results for Bergen');
  assert.equal(await text(page.locator('#q-q_nytte_1 h3')), CEN['q.q_nytte_1.text']);
  assert.equal(await text(page.locator('#s-usefulness > h2')), CEN['section.usefulness']);
  assert.ok((await text(page.locator('.facts'))).includes('22 November 2026'));
  await page.getByRole('radio', { name: 'Participants in the introduction programme' }).check();
  const { bytes } = await download(page, 'Download CSV');
  const rows = parseCSV(bytes.toString('utf8').slice(1), ',');
  assert.deepEqual(rows[0].slice(0, 3), ['Population', 'Question', 'Answer']);
  assert.ok(rows.some((r) => r[0] === 'Whole country – introduction programme' && r[1] === CEN['q.q_nytte_1.text'] && /^\d+(\.\d)?$/.test(r[5])), 'English CSV uses commas and decimal points');

  await page.getByRole('link', { name: 'Nynorsk' }).click();
  await waitHeading(page, 'Resultat for Bergen');
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'nn');
  const h3 = page.locator('#q-q_nytte_1 h3');
  assert.equal(await text(h3), C['q.q_nytte_1.text']);
  assert.equal(await h3.getAttribute('lang'), 'nb', 'bokmål question texts are marked as such');
  assert.ok((await text(page.locator('.facts'))).includes('15 av 40 venta deltakarar (37,5 %)'), 'numbers and dates in Norwegian form');
  assert.ok((await text(page.locator('.facts'))).includes('22. november 2026'));
  assert.equal(await page.getByRole('radio', { name: 'Deltakarar i introduksjonsprogrammet' }).isChecked(), true);
  assert.ok((await text(page.locator('#q-q_nytte_1 svg.chart'))).includes('Halde tilbake: for få svar'));
  await assertAccessible(page, 'the report in nynorsk');
  await done(page);
});
