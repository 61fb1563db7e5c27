// Tests of the public key figures page (/nokkeltall/) in headless Chromium.
//
// Env (set by tests/with-local-stack.sh): BASE_URL, CHROMIUM.
//
// GET /api/key-figures/{survey} is answered with the aggregation's own output:
// shared/results/tests/golden/closed/key-figures.json (recorded by the golden
// test of survey-results), given a second wave in its trend. The questionnaire
// and the texts are the local stack's. Every page is served with the
// production CSP and must log no error; axe-core checks WCAG 2.1 A/AA.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { csvRows, topOption, CSV_COLUMNS } from '../../static-site/nokkeltall/figures.js';
import { toCSV } from '../../static-site/resultater/data.js';
import { assertAccessible } from './pages.mjs';

const BASE = (process.env.BASE_URL || 'http://127.0.0.1:8080').replace(/\/$/, '');
const SURVEY = 'local';
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const GOLDEN = JSON.parse(readFileSync(new URL('../../shared/results/tests/golden/closed/key-figures.json', import.meta.url), 'utf8'));
const KF = {
  ...GOLDEN,
  survey_id: SURVEY,
  trend: [
    { survey_id: '2025', closed_on: '2025-11-30', indices: { motivation: 47.5, usefulness: 45.0, wellbeing: 49.8 } },
    { ...GOLDEN.trend[0], survey_id: SURVEY },
  ],
};

let browser;
const contexts = [];
const S = {}; // the page's strings by language
let C; // the survey's nb content
let qn; // the questionnaire
const shots = mkdtempSync(join(tmpdir(), 'nokkeltall-'));

const fill = (s, vars) => s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? vars[k] : m));
const nbsp = (s) => s.replace(/[\u00a0\u202f]/g, ' ');
const text = async (loc) => nbsp(((await loc.textContent()) || '').replace(/\s+/g, ' ').trim());
const getJSON = async (path) => {
  const r = await fetch(BASE + path);
  assert.equal(r.status, 200, `GET ${path}`);
  return r.json();
};
const indexLabel = (id, l = 'nb') => qn.plan.indices.find((x) => x.id === id).label[l];

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  for (const l of ['nb', 'nn', 'en']) S[l] = (await getJSON(`/nokkeltall/i18n/${l}.json`)).strings;
  C = (await getJSON(`/content/${SURVEY}/i18n/nb.json`)).strings;
  qn = await getJSON(`/api/surveys/${SURVEY}/questionnaire`);
});
afterEach(async () => { while (contexts.length) await contexts.pop().close().catch(() => {}); });
after(async () => { await browser?.close(); console.log(`screenshots in ${shots}`); });

// A page with the production CSP and the key figures answered by `api`: {figures, status, error}.
async function newPage(api = {}, opts = {}) {
  const ctx = await browser.newContext({ locale: 'nb-NO', viewport: { width: 360, height: 740 }, acceptDownloads: true, ...opts });
  await ctx.route('**/*', async (route) => {
    if (route.request().resourceType() !== 'document') return route.fallback();
    const res = await route.fetch();
    await route.fulfill({ response: res, headers: { ...res.headers(), 'content-security-policy': CSP } });
  });
  await ctx.route((u) => u.pathname.startsWith('/api/key-figures/'), (route) => {
    assert.equal(new URL(route.request().url()).pathname, `/api/key-figures/${SURVEY}`);
    if (api.error) return route.fulfill({ status: api.status, json: { error: { code: api.error, message: 'x' } } });
    return route.fulfill({ json: api.figures || KF });
  });
  contexts.push(ctx);
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error' && !/status of (4\d\d|5\d\d)/.test(m.text())) errors.push(m.text()); });
  page.errors = errors;
  return page;
}

async function open(page, l = 'nb') {
  await page.goto(`${BASE}/nokkeltall/?survey=${SURVEY}&lang=${l}`);
  await page.waitForFunction((h) => document.querySelector('h1')?.textContent.trim() === h, S[l]['kf.title'], { timeout: 15000 });
}

async function done(page) {
  assert.deepEqual(page.errors, [], 'no errors or CSP violations in the page');
  assert.equal(await page.locator('[style]').count(), 0, 'no style attributes');
}


test('helpers: CSV rows for every figure, withheld ones with their reason; quoting; the most chosen option', () => {
  const L = {
    part: (k) => k, nation: () => 'Norge', group: (id) => id, index: (id) => id, band: (id) => id,
    question: (id) => id, option: (id, v) => v, withheld: (r) => `withheld:${r}`, mean: () => 'mean', none: () => 'none',
  };
  const rows = csvRows(KF, L);
  const themes = rows.filter((r) => r.part === 'themes');
  assert.equal(themes.length, 3 * (1 + Object.keys(KF.national.groups).length), 'three indices for the nation and each group');
  assert.equal(rows.filter((r) => r.part === 'trend').length, 6, 'three indices for each of two waves');
  const small = rows.find((r) => r.part === 'bands' && r.population === 'lt_5000');
  assert.deepEqual([small.value, small.n, small.note], [null, null, 'withheld:too_few_answers'], 'a withheld band has no figures, only why');
  assert.ok(rows.every((r) => CSV_COLUMNS.every((c) => c in r)));
  const q1 = KF.national.questions.find((q) => q.type === 'scale');
  for (const group of Object.keys(q1.groups)) {
    assert.ok(rows.some((r) => r.part === 'questions' && r.population === group && r.measure === `${q1.id} – mean`), `${group}: the question's mean by group`);
  }
  const csv = toCSV(['a', 'b;c', 'd', 'e', 'f', 'g'], [{ part: 'x "y"', population: 'p;q', measure: 'm', value: 1.5, n: 3, note: '' }], { sep: ';', decimal: ',', columns: CSV_COLUMNS });
  assert.equal(csv, '\uFEFFa;"b;c";d;e;f;g\r\n"x ""y""";"p;q";m;1,5;3;\r\n');
  assert.deepEqual(topOption({ n: 10, counts: { a: 2, b: 7, c: 1 } }), { value: 'b', share: 0.7 });
  assert.equal(topOption({ n: 0, counts: {} }), null);
});

for (const [width, height] of [[360, 740], [1280, 900]]) {
  test(`the key figures at ${width} px: facts, charts each with its table, the trend, counties, size bands, questions; axe`, async () => {
    const page = await newPage({}, { viewport: { width, height } });
    await open(page);
    const N = S.nb;
    const facts = await text(page.locator('.facts'));
    for (const part of ['157', String(KF.units_with_results), '1. desember 2026']) assert.ok(facts.includes(part), `facts show ${part}: ${facts}`);

    // Themes: a chart per index, the nation and each group, and a table with the same figures.
    const ix = page.locator('figure.ix');
    assert.equal(await ix.count(), 3);
    const usefulness = page.locator('#ix-usefulness');
    assert.equal(await text(usefulness.locator('h3')), indexLabel('usefulness'));
    const alt = await usefulness.locator('svg.chart[role=img]').getAttribute('aria-label');
    assert.ok(alt.includes(`${N['kf.nation']} 49,0`), alt);
    const rows = await usefulness.locator('tbody tr').allTextContents();
    assert.equal(rows.length, 3, 'the nation and two groups');
    assert.ok(nbsp(rows[0]).includes('49,0') && nbsp(rows[0]).includes('157'));

    // The trend: a line per index over two waves, and the table of waves × indices.
    const trend = page.locator('#trend');
    assert.equal(await trend.locator('svg.chart path[stroke-width="2.5"]').count(), 3, 'a line per index');
    assert.deepEqual(await trend.locator('tbody th').allTextContents(), ['2025', SURVEY]);
    assert.equal(await page.locator('#s-trend .note').count(), 0, 'no "one year only" note with two waves');

    // Counties and size bands: published ones with their figures, withheld ones say why.
    const counties = page.locator('#s-counties tbody tr');
    assert.equal(await counties.count(), 3);
    assert.ok(nbsp(await counties.nth(1).textContent()).includes('Vestland71'));
    const bands = await page.locator('#s-bands tbody tr').allTextContents();
    assert.ok(bands[0].includes(fill(N['kf.withheld.too_few_answers'], { min: 10 })), bands[0]);
    assert.ok(bands[1].includes(N['kf.withheld.protects_others']), bands[1]);
    assert.ok(bands[2].includes(N['kf.band.20000_plus']) && bands[2].includes('111'));

    // Every question, nationally; texts from the survey's content.
    const qrows = page.locator('#s-questions tbody tr');
    assert.equal(await qrows.count(), KF.national.questions.length);
    const groupsShort = qn.plan.groups.map((g) => g.short.nb.charAt(0).toLocaleUpperCase('nb') + g.short.nb.slice(1));
    assert.deepEqual(await page.locator('#s-questions thead th').allTextContents(), [N['kf.table.question'], N['kf.table.n'], N['kf.nation'], ...groupsShort], 'the nation and each group');
    assert.equal(await text(qrows.first().locator('th')), C[`q.${KF.national.questions[0].id}.text`]);

    // What a screen reader meets: every chart is an image with a text
    // alternative, and every chart's figure holds a table with a caption.
    for (const fig of await page.locator('figure').all()) {
      assert.ok((await fig.locator('svg.chart').getAttribute('role')) === 'img' && (await fig.locator('svg.chart').getAttribute('aria-label')).length > 20);
      assert.equal(await fig.locator('table caption').count(), 1, 'its table');
    }
    const snapshot = await page.locator('#ix-usefulness').ariaSnapshot();
    assert.match(snapshot, /img "[^"]{20,}"/, 'the chart is an image with a name');
    assert.match(snapshot, /- table "/, 'and a table named by its caption');
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no horizontal scroll');
    await assertAccessible(page, `the key figures at ${width} px`);
    await page.screenshot({ path: join(shots, `nokkeltall-${width}.png`), fullPage: true });
    await done(page);
  });
}

test('choosing a theme redraws the county and size band charts; the CSV holds every figure', async () => {
  const page = await newPage({}, { viewport: { width: 1280, height: 900 } });
  await open(page);
  await page.getByLabel(S.nb['kf.area.index']).first().selectOption('wellbeing');
  for (const id of ['#s-counties', '#s-bands']) {
    assert.equal(await page.locator(`${id} select`).inputValue(), 'wellbeing', `${id} follows`);
    const alt = await page.locator(`${id} svg.chart`).getAttribute('aria-label');
    assert.ok(alt.includes(indexLabel('wellbeing')), alt);
  }
  assert.ok((await page.locator('#s-counties svg.chart').getAttribute('aria-label')).includes('Vestland 49,5'));

  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: S.nb['kf.dl.csv'] }).click()]);
  assert.equal(dl.suggestedFilename(), `nokkeltall-${SURVEY}.csv`);
  const csv = readFileSync(await dl.path(), 'utf8');
  assert.ok(csv.startsWith('\uFEFF'), 'a BOM for Excel');
  const lines = csv.slice(1).trim().split('\r\n');
  assert.equal(lines[0], ['part', 'population', 'measure', 'value', 'n', 'note'].map((c) => S.nb[`kf.csv.${c}`]).join(';'));
  assert.ok(lines.includes(`${S.nb['kf.counties.title']};Vestland;${indexLabel('wellbeing')};49,5;71;`), 'a county figure');
  assert.ok(lines.some((l) => l.startsWith(`${S.nb['kf.trend.title']};2025;`)), 'the trend');
  await done(page);
});

test('nynorsk and English, and a switch between them keeps the page', async () => {
  const page = await newPage({}, { viewport: { width: 1280, height: 900 } });
  await open(page, 'nn');
  assert.equal(await text(page.locator('#h-themes')), S.nn['kf.themes.title']);
  assert.equal(await page.locator('html').getAttribute('lang'), 'nn');
  await page.getByRole('link', { name: 'English' }).click();
  await page.waitForFunction((h) => document.querySelector('h1')?.textContent.trim() === h, S.en['kf.title']);
  assert.ok((await text(page.locator('#s-counties tbody tr').nth(1))).includes('50.1'), 'English number format');
  assert.ok((await text(page.locator('#s-bands'))).includes(S.en['kf.band.20000_plus']));
  await assertAccessible(page, 'the key figures in English');
  await done(page);
});

test('before the release: the page says when the key figures come; axe', async () => {
  const page = await newPage({ status: 404, error: 'no_report' });
  await open(page);
  assert.equal(await text(page.locator('#problem')), fill(S.nb['kf.none'], { survey: SURVEY }));
  await assertAccessible(page, 'the key figures before the release');
  await done(page);
});

test('one wave only: the trend says it needs more years and still shows its table', async () => {
  const page = await newPage({ figures: { ...KF, trend: KF.trend.slice(1) } });
  await open(page);
  assert.equal(await text(page.locator('#s-trend .note')), S.nb['kf.trend.one']);
  assert.equal(await page.locator('#trend tbody tr').count(), 1);
  await done(page);
});
