// The municipal survey's results in Chromium, on the local stack: a wave of
// kommuneundersokelse with eight units' recipients, invitations read from
// moto's SES, forms submitted through the personal links' API, the close, the
// aggregation, and then the public page /kommuneundersokelse/ (findings as
// sentences, the area chooser by keyboard, withheld figures explained, tables
// for screen readers, 360 and 1280 px, axe, nynorsk) and a unit's own view from
// a leader's link. The bundle is fetched with survey-admin.
//
// Env (set by tests/with-local-stack.sh): BASE_URL, SURVEY_ADMIN, AWS_ENDPOINT_URL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import AxeBuilder from '@axe-core/playwright';
import { admin, mailsTo } from '../api/support.mjs';
import { BASE, getJSON, launch, strictPage } from './pages.mjs';

const SURVEY = `kommune-${randomBytes(3).toString('hex')}`;
const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
const mail = (unit) => `programleder-${unit}-${SURVEY}@example.org`;
const PAGE = `/kommuneundersokelse/?survey=${SURVEY}`;

// Eight programme heads: six large or middling, two small; result targets yes in six.
const UNITS = {
  4601: 'yes', 4627: 'yes', 4621: 'yes', 1103: 'yes', 1108: 'no', 5001: 'yes', 1151: 'no', 4633: 'yes',
};

let browser;
let ui; // the page's bokmål texts
let texts; // the survey's bokmål texts
let bergen; // Bergen's programme head's token

async function api(method, path, token, body) {
  const res = await fetch(BASE + path, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: body && JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

before(async () => {
  browser = await launch();
  const now = Date.now();
  admin('survey', 'create', '--survey', SURVEY, '--definition', 'kommuneundersokelse', '--opens', iso(now - 3600e3), '--closes', iso(now + 30 * 86400e3));
  const dir = mkdtempSync(join(tmpdir(), 'mottakere-'));
  // Bergen's director is invited too but does not answer: seven units answered every part they were sent.
  const rows = Object.keys(UNITS).map((u) => `${u},programme,Leder ${u},${mail(u)}`);
  writeFileSync(join(dir, 'm.csv'), ['unit,role,name,email', ...rows, `4601,director,Kari Nordmann,kari-${SURVEY}@example.org`].join('\n') + '\n');
  admin('recipients', 'import', '--survey', SURVEY, '--file', join(dir, 'm.csv'));
  admin('invitations', 'send', '--survey', SURVEY);
  for (const [unit, targets] of Object.entries(UNITS)) {
    const [invitation] = await mailsTo(mail(unit));
    const token = invitation.body.match(/\/skjema\/#token=([0-9a-f]{64})/)[1];
    if (unit === '4601') bergen = token;
    const answers = { q_prog_targets: targets, q_prog_involve: unit === '1151' ? 'no' : 'yes', q_prog_leaders_ask: unit < '4000' ? '1' : '3' };
    if (answers.q_prog_involve === 'yes') answers.q_prog_involve_methods = ['individual'];
    if (unit === '4601') answers.q_prog_comment = 'Vi ønsker flere kurs.';
    const r = await api('POST', '/api/org-responses/current/submit', token, { answers });
    assert.equal(r.status, 201, JSON.stringify(r.json));
  }
  admin('survey', 'window', '--survey', SURVEY, '--registration-deadline', iso(Date.now() - 60e3), '--closes', iso(Date.now() - 1e3));
  admin('aggregate', '--survey', SURVEY);
  ui = (await getJSON('/kommuneundersokelse/i18n/nb.json')).strings;
  texts = (await getJSON(`/content/${SURVEY}/i18n/nb.json`)).strings;
});

after(async () => {
  await browser?.close();
});

test('the public page gives participation, findings as sentences and every question, tables beside bars', async () => {
  const page = await strictPage(browser, { viewport: { width: 1280, height: 900 } });
  await page.goto(BASE + PAGE);
  await page.getByRole('heading', { level: 1, name: ui.h1 }).waitFor();
  assert.match(await page.locator('.lead').textContent(), /^8 av 8 kommuner og bydeler svarte på minst én del av skjemaet \(100 %\)\. 7 svarte på alle delene de fikk\.$/);
  const findings = page.getByRole('region', { name: ui['findings.h2'] });
  assert.match(await findings.textContent(), /Tre av fire kommuner har resultatmål for introduksjonsprogrammet\./, '6 of 8');
  const targets = page.getByRole('article', { name: texts['q.q_prog_targets.text'] });
  const table = targets.getByRole('table');
  assert.deepEqual(await table.locator('tbody th').allTextContents(), [texts['q.q_prog_targets.opt.yes'], texts['q.q_prog_targets.opt.no'], texts['q.q_prog_targets.opt.dont_know']]);
  assert.deepEqual(await table.locator('tbody td.num').allTextContents(), ['6', '2', '0']);
  assert.match(await targets.textContent(), /8 kommuner svarte\./);
  assert.equal(await page.getByText(texts['q.q_prog_comment.text']).count(), 0, 'free text is never public');
  assert.deepEqual((await new AxeBuilder({ page }).withTags(WCAG).analyze()).violations.map((v) => v.id), []);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('the area is chosen by keyboard; a county of too few is explained, not shown', async () => {
  const page = await strictPage(browser, { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
  await page.goto(BASE + PAGE);
  await page.getByRole('heading', { level: 1, name: ui.h1 }).waitFor();
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 360), 'no sideways scrolling at 360 px');
  const chooser = page.getByLabel(ui['area.label']);
  await chooser.focus();
  await chooser.selectOption('50'); // Trøndelag: Trondheim alone
  const targets = page.getByRole('article', { name: texts['q.q_prog_targets.text'] });
  assert.equal(await targets.locator('.withheld').textContent(), ui['withheld.few'].replace('{min}', '3'));
  assert.equal(await page.locator('#area-now').textContent(), 'Trøndelag');
  await chooser.selectOption('20000_plus');
  assert.match(await targets.textContent(), /5 kommuner svarte\./, 'Bergen, Askøy, Stavanger, Sandnes and Trondheim');
  assert.deepEqual((await new AxeBuilder({ page }).withTags(WCAG).analyze()).violations.map((v) => v.id), []);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('in nynorsk the page and the findings are nynorsk', async () => {
  const page = await strictPage(browser, { viewport: { width: 1280, height: 900 } });
  const nn = (await getJSON('/kommuneundersokelse/i18n/nn.json')).strings;
  await page.goto(`${BASE}${PAGE}&lang=nn`);
  await page.getByRole('heading', { level: 1, name: nn.h1 }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'nn');
  assert.match(await page.getByRole('region', { name: nn['findings.h2'] }).textContent(), /Tre av fire kommunar har resultatmål/);
  await page.context().close();
});

test('a leader\'s link shows the unit\'s own answers beside the nation, its county and its size', async () => {
  const page = await strictPage(browser, { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
  await page.goto(`${BASE}/kommuneundersokelse/#token=${bergen}`);
  await page.getByRole('heading', { level: 1, name: ui['unit.h1'].replace('{unit}', 'Bergen') }).waitFor();
  assert.equal(new URL(page.url()).hash, '', 'the token leaves the address bar');
  const targets = page.getByRole('article', { name: texts['q.q_prog_targets.text'] });
  assert.match(await targets.locator('.own-answer').textContent(), new RegExp(texts['q.q_prog_targets.opt.yes']));
  const header = await targets.locator('thead th').allTextContents();
  assert.deepEqual(header, [ui['col.answer'], ui['col.nation'], 'Vestland', ui['band.short.20000_plus']]);
  const yes = targets.locator('tr.chosen');
  assert.deepEqual(await yes.locator('td').allTextContents(), ['75 %', '100 %', '80 %'], 'the nation 6 of 8, Vestland 4 of 4, the large 4 of 5');
  assert.match(await page.getByRole('article', { name: texts['q.q_prog_comment.text'] }).textContent(), /Vi ønsker flere kurs\./);
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 360), 'no sideways scrolling at 360 px');
  assert.deepEqual((await new AxeBuilder({ page }).withTags(WCAG).analyze()).violations.map((v) => v.id), []);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('IMDi fetches the bundle', () => {
  const zip = admin('bundle', 'fetch', '--survey', SURVEY, '--out', mkdtempSync(join(tmpdir(), 'pakke-')));
  assert.ok(statSync(zip).size > 1000);
});
