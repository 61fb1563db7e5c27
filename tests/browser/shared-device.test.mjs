// Shared classroom devices (issue 12, finding 9): person A answers part of the
// survey and leaves; person B opens the page on the same device. B must see
// nothing of A's answers, not on the screen and not via Back; progress older
// than a lesson (3 hours) is dropped; "Neste deltaker" after the thank-you
// screen leaves nothing of A in localStorage or sessionStorage; and an answer
// A sent whose receipt never came is still delivered, never lost.
//
// Env: BASE_URL, ACCESS_CODE, SURVEY_ADMIN as in survey.test.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execSync } from 'node:child_process';
import { BASE, CODE, SURVEY, launch, getJSON, nextHeading, answerFor } from './pages.mjs';

const PKEY = 'brukerundersokelse.progress.v1';
const HOUR = 60 * 60 * 1000;
let browser;
let ui; // UI strings, nb
let en; // UI strings, en
let qn;

before(async () => {
  assert.ok(CODE, 'ACCESS_CODE must be set to a valid code of the open wave "local"');
  browser = await launch();
  ui = (await getJSON('/i18n/nb.json')).strings;
  en = (await getJSON('/i18n/en.json')).strings;
  qn = await getJSON(`/api/surveys/${SURVEY}/questionnaire`);
});
after(async () => { await browser?.close(); });

function count() {
  assert.ok(process.env.SURVEY_ADMIN, 'SURVEY_ADMIN must be set');
  return Number(execSync(`${process.env.SURVEY_ADMIN} responses count --survey ${SURVEY}`, { encoding: 'utf8' }).trim());
}

// One classroom PC: pages opened one after the other share the storage.
async function device() {
  const ctx = await browser.newContext({ locale: 'nb-NO', viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
  ctx.open = async (path) => {
    const page = await ctx.newPage();
    page.errors = [];
    page.on('pageerror', (e) => page.errors.push(e.message));
    await page.goto(BASE + path);
    await page.locator('main h1').waitFor();
    return page;
  };
  return ctx;
}

const heading = async (page) => (await page.locator('main h1').first().textContent()).trim();
const checked = (page) => page.locator('main input:checked:not([name=lang])').count();
const storage = (page) => page.evaluate(() => ({ local: { ...localStorage }, session: { ...sessionStorage } }));
const setSavedAt = (page, ms) => page.evaluate(([k, ms]) => {
  const p = JSON.parse(localStorage.getItem(k));
  p.saved_at = ms;
  localStorage.setItem(k, JSON.stringify(p));
}, [PKEY, ms]);

async function waitHeading(page, text, timeout = 10000) {
  await page.waitForFunction((t) => document.querySelector('main h1')?.textContent.trim() === t, text, { timeout });
}

// Person A: the code, the intro, then answers (answerFor, or `given`) up to the question `stop`
// (not answered), or to the review screen when stop is null.
async function personA(page, given = {}, stop = null) {
  let h = await heading(page);
  await page.locator('main button[type=submit]').click(); // start with the code from the link
  h = await nextHeading(page, h);
  await page.locator('main .nav .btn.primary').click(); // begin
  h = await nextHeading(page, h);
  const answers = {};
  while (await page.locator('main fieldset input').count()) {
    const id = await page.locator('main fieldset input').first().getAttribute('name');
    if (id === stop) return answers;
    const v = given[id] ?? answerFor(qn.questions.find((q) => q.id === id));
    for (const x of [].concat(v)) await page.locator(`main input[name="${id}"][value="${x}"]`).check();
    answers[id] = v;
    await page.locator('main form button[type=submit]').click();
    h = await nextHeading(page, h);
  }
  return answers;
}

test('person B on the same device sees none of person A\'s answers, not on the screen and not via Back', async () => {
  const ctx = await device();
  const a = await ctx.open(`/?code=${encodeURIComponent(CODE)}`);
  await personA(a, { q_group: 'training', q_leave: 'no' }, 'q_age');
  await a.locator('main fieldset input').nth(1).check(); // chosen, then A leaves without Next
  await a.close();

  const b = await ctx.open(`/?code=${encodeURIComponent(CODE)}`);
  assert.equal(await checked(b), 0, `B's first screen ("${await heading(b)}") shows none of A's answers`);
  for (let i = 0; i < 4 && await b.getByRole('button', { name: ui['ui.back'], exact: true }).count(); i++) {
    const h = await heading(b);
    await b.getByRole('button', { name: ui['ui.back'], exact: true }).click();
    await nextHeading(b, h);
    assert.equal(await checked(b), 0, `Back from "${h}" shows none of A's answers`);
  }
  assert.equal(await heading(b), ui['ui.resume.title'], 'B is asked first');
  assert.ok(await b.evaluate(() => document.activeElement === document.querySelector('main h1')), 'focus is on the question');

  await b.getByRole('button', { name: ui['ui.resume.new'], exact: true }).click();
  await waitHeading(b, ui['ui.start.title']);
  assert.equal(await b.locator('#code').inputValue(), CODE, 'the class code stays');
  assert.equal((await storage(b)).local[PKEY], undefined, 'A\'s progress is gone');
  await b.getByRole('button', { name: ui['ui.start'], exact: true }).click();
  await waitHeading(b, ui['ui.intro.title']);
  assert.equal(await b.getByRole('button', { name: ui['ui.intro.continue'], exact: true }).count(), 0, 'nothing to continue');
  await b.getByRole('button', { name: ui['ui.intro.begin'], exact: true }).click();
  await b.locator('main fieldset input').first().waitFor();
  assert.equal(await checked(b), 0, 'B starts with no answers');
  await b.getByRole('button', { name: ui['ui.back'], exact: true }).click();
  await waitHeading(b, ui['ui.intro.title']);
  assert.deepEqual(b.errors, []);
  await ctx.close();
});

test('progress older than three hours is dropped on load and never shown; younger progress asks first', async () => {
  const ctx = await device();
  const a = await ctx.open(`/?code=${encodeURIComponent(CODE)}`);
  const given = await personA(a, { q_group: 'training', q_leave: 'no' }, 'q_age');
  const saved = await a.evaluate((k) => localStorage.getItem(k), PKEY);
  await a.close();

  // Yesterday's lesson, and one just over three hours ago.
  for (const age of [20 * HOUR, 3 * HOUR + 60 * 1000]) {
    const b = await ctx.newPage();
    await b.goto(`${BASE}/i18n/languages.json`);
    await b.evaluate(([k, v]) => localStorage.setItem(k, v), [PKEY, saved]);
    await setSavedAt(b, Date.now() - age);
    await b.goto(`${BASE}/`);
    await b.locator('main h1').waitFor();
    assert.equal(await heading(b), ui['ui.start.title'], `progress ${age / HOUR} h old: the start screen`);
    assert.equal(await checked(b), 0);
    const { local } = await storage(b);
    assert.equal(local[PKEY], undefined, 'old progress is deleted');
    await b.close();
  }

  // Two hours: the same person, back after a break, is asked and can continue.
  const c = await ctx.newPage();
  await c.goto(`${BASE}/i18n/languages.json`);
  await c.evaluate(([k, v]) => localStorage.setItem(k, v), [PKEY, saved]);
  await setSavedAt(c, Date.now() - 2 * HOUR);
  await c.goto(`${BASE}/`);
  await waitHeading(c, ui['ui.resume.title']);
  assert.equal(await checked(c), 0);
  await c.getByRole('button', { name: ui['ui.resume.continue'], exact: true }).click();
  await c.waitForFunction(() => document.querySelector('main fieldset input[name=q_age]'));
  await c.getByRole('button', { name: ui['ui.back'], exact: true }).click();
  await c.waitForFunction(() => !document.querySelector('main fieldset input[name=q_age]'));
  const id = await c.locator('main fieldset input').first().getAttribute('name');
  assert.equal(await c.locator(`main input[name="${id}"][value="${given[id]}"]`).isChecked(), true, 'the answers are back for the one who chose to continue');
  await ctx.close();
});

test('a page left open for more than three hours drops the progress by itself', async () => {
  const ctx = await device();
  const a = await ctx.newPage();
  await a.clock.install();
  await a.goto(`${BASE}/?code=${encodeURIComponent(CODE)}`);
  await a.locator('main h1').waitFor();
  await personA(a, { q_group: 'training', q_leave: 'no' }, 'q_age');
  await a.clock.fastForward('03:01:00');
  await waitHeading(a, ui['ui.start.title']);
  assert.equal(await checked(a), 0);
  assert.equal((await storage(a)).local[PKEY], undefined);
  await ctx.close();
});

test('thank-you: the receipt is explained, and "Neste deltaker" leaves nothing of A in storage', async () => {
  const ctx = await device();
  const a = await ctx.open(`/?code=${encodeURIComponent(CODE)}`);
  // A reads English and has read-aloud on.
  await a.locator('main input[name=lang][value=en]').check();
  await waitHeading(a, en['ui.start.title']);
  await a.evaluate(() => sessionStorage.setItem('brukerundersokelse.read_aloud', '1'));
  await personA(a);
  await a.getByRole('button', { name: en['ui.send'], exact: true }).click();
  await waitHeading(a, en['ui.thanks.title']);
  assert.equal(await a.getByText(en['ui.thanks.receipt_about'], { exact: true }).count(), 1, 'the thank-you screen says what the receipt is for');
  const next = a.getByRole('button', { name: en['ui.thanks.next'], exact: true });
  assert.equal(await next.count(), 1, 'the thank-you screen has "Neste deltaker"');
  await next.click();

  await waitHeading(a, ui['ui.start.title']);
  assert.equal(await a.getAttribute('html', 'lang'), 'nb', 'the next person starts in the device\'s language, not A\'s');
  assert.equal(await a.locator('#code').inputValue(), CODE, 'the class code stays');
  assert.ok(await a.evaluate(() => document.activeElement === document.querySelector('main h1')), 'focus is on the heading');
  assert.deepEqual(await storage(a), { local: {}, session: {} }, 'nothing of A in storage');
  assert.deepEqual(a.errors, []);
  await ctx.close();
});

// A sends while the network is down and leaves; B says "new person".
async function sentWithoutReceipt(ctx) {
  const a = await ctx.open(`/?code=${encodeURIComponent(CODE)}`);
  await personA(a);
  await a.route('**/api/responses', (route) => route.abort('internetdisconnected'));
  await a.getByRole('button', { name: ui['ui.send'], exact: true }).click();
  await a.getByText(ui['ui.sending.retry']).waitFor();
  const body = await a.evaluate((k) => JSON.parse(localStorage.getItem(k)).pending, PKEY);
  assert.ok(body && body.submission_id, 'the body waits in storage');
  await a.close();
  return body;
}

async function waitForCount(n) {
  for (let i = 0; i < 50 && count() < n; i++) await new Promise((r) => setTimeout(r, 200));
  return count();
}

test('an answer sent without a receipt is still delivered after "new person", and B sees nothing of it', async () => {
  const ctx = await device();
  const before = count();
  await sentWithoutReceipt(ctx);
  const b = await ctx.open('/');
  assert.equal(await heading(b), ui['ui.resume.title'], 'B is asked first, and not shown A\'s thank-you');
  await b.getByRole('button', { name: ui['ui.resume.new'], exact: true }).click();
  await waitHeading(b, ui['ui.start.title']);
  assert.equal(await waitForCount(before + 1), before + 1, 'A\'s answer is stored once');
  await b.waitForFunction(() => Object.keys(localStorage).length === 0);
  assert.deepEqual(b.errors, []);
  await ctx.close();
});

test('an answer sent without a receipt more than three hours ago is delivered, not dropped', async () => {
  const ctx = await device();
  const before = count();
  await sentWithoutReceipt(ctx);
  const b = await ctx.newPage();
  await b.goto(`${BASE}/i18n/languages.json`);
  await setSavedAt(b, Date.now() - 5 * HOUR);
  await b.goto(`${BASE}/`);
  await b.locator('main h1').waitFor();
  assert.equal(await heading(b), ui['ui.start.title'], 'B gets the start screen, not A\'s thank-you');
  assert.equal(await waitForCount(before + 1), before + 1, 'A\'s answer is stored once');
  await b.waitForFunction(() => Object.keys(localStorage).length === 0);
  await ctx.close();
});
