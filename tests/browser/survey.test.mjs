// Browser tests of the participant survey page, in headless Chromium.
//
// Env:
//   BASE_URL      the running stack, e.g. http://127.0.0.1:8080
//   ACCESS_CODE   a valid access code of the open wave `local`
//   SURVEY_ADMIN  the admin CLI; `$SURVEY_ADMIN responses count --survey local`
//                 prints the number of stored responses as a bare integer
//                 (may be a command with arguments, e.g. "cargo run -q --bin survey-admin --")
//
// Texts are read from the stack itself (UI strings, questionnaire, question
// texts), so options are picked by their accessible names, like a person would.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execSync } from 'node:child_process';
import { chromium } from 'playwright-core';

const BASE = (process.env.BASE_URL || 'http://127.0.0.1:8080').replace(/\/$/, '');
const CODE = process.env.ACCESS_CODE || '';
const ADMIN = process.env.SURVEY_ADMIN || '';
const SURVEY = 'local';
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

let browser;
let ui; // UI strings (nb)
let texts; // question texts (nb)
let qn; // questionnaire
let byText; // question text -> question

const getJSON = async (path) => {
  const r = await fetch(BASE + path);
  assert.equal(r.status, 200, `GET ${path}`);
  return r.json();
};

function count() {
  assert.ok(ADMIN, 'SURVEY_ADMIN must be set');
  const out = execSync(`${ADMIN} responses count --survey ${SURVEY}`, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  assert.match(out, /^\d+$/, `responses count printed ${JSON.stringify(out)}`);
  return Number(out);
}

// Routing as the contract states it, written independently of the page's code.
function shown(q, answers) {
  if (!q.show_if) return true;
  const ref = qn.questions.find((x) => x.id === q.show_if.question);
  if (!ref || !shown(ref, answers)) return false;
  const a = answers[ref.id];
  if (a == null) return false;
  return [].concat(a).some((v) => q.show_if.any_of.includes(v));
}

function optionLabel(q, v) {
  const k = q.type === 'scale' ? `scale.${q.scale}.${v}` : `q.${q.id}.opt.${v}`;
  return texts[k] ?? texts[`opt.${v}`];
}

// What the participant answers: a person in the introduction programme (or `group`).
function chooser(group) {
  let n = 0;
  return (q) => {
    n++;
    if (q.id === 'q_group') return group;
    if (q.id === 'q_plan_has') return 'yes';
    if (q.id === 'q_age') return undefined; // an optional question skipped
    const ok = q.options.filter((o) => !o.ends_survey).map((o) => o.value);
    if (q.type === 'multi') return ok.filter((v) => v !== 'none').slice(0, 2);
    if (q.type === 'scale') return n % 7 === 0 ? 'dont_know' : String(1 + (n % 5));
    return ok[n % ok.length];
  };
}

const heading = async (page) => ((await page.locator('h1').first().textContent()) || '').trim();

async function waitHeading(page, text) {
  await page.waitForFunction((t) => document.querySelector('h1')?.textContent.trim() === t, text, { timeout: 10000 });
}

async function pick(page, q, value) {
  for (const v of [].concat(value)) {
    const name = optionLabel(q, v);
    assert.ok(name, `no text for ${q.id}=${v}`);
    await page.getByRole(q.type === 'multi' ? 'checkbox' : 'radio', { name, exact: true }).check();
  }
}

async function next(page) {
  const old = await heading(page);
  await page.getByRole('button', { name: new RegExp(`^(${ui['ui.next']}|${ui['ui.skip']})$`) }).click();
  await page.waitForFunction((t) => document.querySelector('h1')?.textContent.trim() !== t, old, { timeout: 10000 });
}

// Answers question screens with `choose` until the review screen (or the
// question `stopAt`); returns the ids seen and the answers given.
async function walk(page, choose, stopAt) {
  const seen = [];
  const answers = {};
  for (let i = 0; i < 200; i++) {
    const h = await heading(page);
    if (h === ui['ui.review.title']) return { seen, answers };
    const q = byText.get(h);
    assert.ok(q, `unexpected screen "${h}"`);
    if (q.id === stopAt) return { seen, answers };
    seen.push(q.id);
    const v = choose(q);
    if (v !== undefined) {
      await pick(page, q, v);
      answers[q.id] = v;
    }
    await next(page);
  }
  assert.fail('too many screens');
}

const expectedSequence = (answers) => qn.questions.filter((q) => shown(q, answers)).map((q) => q.id);

async function newPage(opts = {}) {
  const ctx = await browser.newContext({ locale: 'nb-NO', viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, ...opts });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) errors.push(m.text()); });
  page.errors = errors;
  return page;
}

async function startWithCode(page, code) {
  await page.goto(`${BASE}/?code=${encodeURIComponent(code)}`);
  await waitHeading(page, ui['ui.start.title']);
  await page.getByRole('button', { name: ui['ui.start'], exact: true }).click();
  await waitHeading(page, ui['ui.intro.title']);
  await page.getByRole('button', { name: ui['ui.intro.begin'] }).click();
  await waitHeading(page, texts[`q.${qn.questions[0].id}.text`]);
}

function requireCode() {
  assert.ok(CODE, 'ACCESS_CODE must be set to a valid code of the open wave "local"');
}

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  ui = (await getJSON('/i18n/nb.json')).strings;
  texts = (await getJSON(`/content/${SURVEY}/i18n/nb.json`)).strings;
  qn = await getJSON(`/api/surveys/${SURVEY}/questionnaire`);
  byText = new Map(qn.questions.map((q) => [texts[`q.${q.id}.text`], q]));
  assert.equal(byText.size, qn.questions.length, 'question texts are distinct');
});

after(async () => {
  await browser?.close();
});

test('phone: a participant answers everything, sends once, gets a receipt; a reload does not resend', async () => {
  requireCode();
  const page = await newPage();
  const posts = [];
  page.on('request', (r) => { if (r.method() === 'POST' && r.url().includes('/api/responses')) posts.push(r.postDataJSON()); });
  const before = count();

  // The code as people type it: lower case, no hyphens.
  const typed = CODE.toLowerCase().replace(/-/g, '');
  await startWithCode(page, typed);
  const { seen, answers } = await walk(page, chooser('intro'));
  assert.deepEqual(seen, expectedSequence(answers), 'the questions shown follow show_if');
  assert.ok(seen.some((id) => qn.questions.find((q) => q.id === id).show_if), 'a conditional question was shown');

  await page.getByRole('button', { name: ui['ui.send'], exact: true }).click();
  await waitHeading(page, ui['ui.thanks.title']);
  const receipt = (await page.locator('#receipt').textContent()).trim();
  assert.ok(receipt.length > 0, 'a receipt is shown');
  assert.equal(count(), before + 1, 'exactly one response stored');

  assert.equal(posts.length, 1);
  const body = posts[0];
  assert.match(body.submission_id, ULID);
  assert.equal(body.survey_id, SURVEY);
  assert.equal(body.language, 'nb');
  assert.deepEqual(body.answers, answers, 'the answers sent are the ones given');

  await page.reload();
  await waitHeading(page, ui['ui.start.title']);
  await page.waitForTimeout(500);
  assert.equal(posts.length, 1, 'no resend after reload');
  assert.equal(count(), before + 1);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('reload mid-survey asks first, then resumes at the same question with the answers kept', async () => {
  requireCode();
  const page = await newPage();
  await startWithCode(page, CODE);
  const q = (id) => qn.questions.find((x) => x.id === id);
  const given = { q_group: 'training', q_leave: 'no', q_gender: q('q_gender').options[0].value };
  const { seen } = await walk(page, (x) => given[x.id], 'q_age');
  assert.deepEqual(seen, ['q_group', 'q_leave', 'q_gender']);
  // Chosen but not yet confirmed with Next: kept too.
  const age = q('q_age');
  await pick(page, age, age.options[1].value);

  await page.reload();
  // Asked first (the device may be shared), nothing of the answers shown; then continued.
  await waitHeading(page, ui['ui.resume.title']);
  assert.equal(await page.locator('main input:checked').count(), 0);
  await page.getByRole('button', { name: ui['ui.resume.continue'], exact: true }).click();
  await waitHeading(page, texts['q.q_age.text']);
  assert.ok(await page.getByRole('radio', { name: optionLabel(age, age.options[1].value), exact: true }).isChecked());
  for (const id of ['q_gender', 'q_leave', 'q_group']) {
    await page.getByRole('button', { name: ui['ui.back'], exact: true }).click();
    await waitHeading(page, texts[`q.${id}.text`]);
    assert.ok(await page.getByRole('radio', { name: optionLabel(q(id), given[id]), exact: true }).isChecked(), `${id} kept`);
  }
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('on leave: "yes" ends the survey kindly and nothing is sent', async () => {
  requireCode();
  const page = await newPage();
  const posts = [];
  page.on('request', (r) => { if (r.method() === 'POST' && r.url().includes('/api/responses')) posts.push(r.url()); });
  const before = count();
  await startWithCode(page, CODE);
  await walk(page, (x) => (x.id === 'q_group' ? 'training' : undefined), 'q_leave');
  const leave = qn.questions.find((x) => x.id === 'q_leave');
  await pick(page, leave, leave.options.find((o) => o.ends_survey).value);
  await page.getByRole('button', { name: ui['ui.next'], exact: true }).click();
  await waitHeading(page, ui['ui.ended.title']);
  await page.getByText(ui['ui.ended.nothing_sent']).waitFor();
  await page.reload();
  await waitHeading(page, ui['ui.start.title']); // progress was cleared
  await page.waitForTimeout(300);
  assert.equal(posts.length, 0, 'no POST /api/responses');
  assert.equal(count(), before);
  await page.context().close();
});

test('demo walks through everything without a code and sends nothing', async () => {
  const page = await newPage();
  const calls = [];
  page.on('request', (r) => { if (/\/api\/(responses|codes\/validate)/.test(r.url())) calls.push(r.url()); });
  await page.goto(`${BASE}/?demo=1`);
  await page.getByText(ui['ui.demo_banner']).waitFor();
  await page.getByRole('button', { name: ui['ui.demo.start'] }).click();
  await waitHeading(page, ui['ui.intro.title']);
  await page.getByRole('button', { name: ui['ui.intro.begin'] }).click();
  const { seen, answers } = await walk(page, chooser('both'));
  assert.deepEqual(seen, expectedSequence(answers));
  await page.getByRole('button', { name: ui['ui.send'], exact: true }).click();
  await waitHeading(page, ui['ui.demo_end.title']);
  await page.getByText(ui['ui.demo_end.text']).waitFor();
  assert.ok(await page.getByText(ui['ui.demo_banner']).isVisible(), 'the demo banner stays visible');
  const stored = await page.evaluate(() => Object.keys(localStorage).filter((k) => /progress/.test(k)));
  assert.deepEqual(stored, [], 'no progress stored in the demo');
  assert.deepEqual(calls, []);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('a bad code shows the error next to the field and stays on the start screen', async () => {
  const page = await newPage();
  await page.goto(`${BASE}/`);
  await waitHeading(page, ui['ui.start.title']);
  const field = page.getByRole('textbox', { name: ui['ui.code.label'] });
  const errorText = async () => {
    const id = await field.getAttribute('aria-describedby');
    assert.ok(id, 'the field has aria-describedby');
    return ((await page.locator(`[id="${id}"]`).textContent()) || '').trim();
  };
  const codeErrors = ['malformed_code', 'unknown_code', 'rate_limited'].map((k) => ui[`ui.err.${k}`]);

  await page.getByRole('button', { name: ui['ui.start'], exact: true }).click();
  await page.waitForFunction(() => document.getElementById('code')?.getAttribute('aria-invalid') === 'true');
  assert.equal(await errorText(), ui['ui.err.empty_code']);

  for (const bad of ['abc', 'ZZZZ-ZZZZ-ZZ']) {
    await field.fill(bad);
    const answered = page.waitForResponse((r) => r.url().includes('/api/codes/validate'));
    await page.getByRole('button', { name: ui['ui.start'], exact: true }).click();
    await answered;
    await page.waitForFunction((old) => {
      const e = document.getElementById(document.getElementById('code').getAttribute('aria-describedby'));
      return e && e.textContent.trim() && e.textContent.trim() !== old;
    }, ui['ui.err.empty_code']);
    const msg = await errorText();
    assert.ok(codeErrors.includes(msg), `error shown for ${bad}: "${msg}"`);
    assert.equal(await field.getAttribute('aria-invalid'), 'true');
    assert.equal(await heading(page), ui['ui.start.title']);
    assert.ok(await field.evaluate((e) => e === document.activeElement), 'focus is on the field');
  }
  await page.context().close();
});

test('320 px wide: no horizontal scrolling', async () => {
  const page = await newPage({ viewport: { width: 320, height: 640 } });
  const width = () => page.evaluate(() => document.scrollingElement.scrollWidth);
  await page.goto(`${BASE}/?code=${encodeURIComponent(CODE || 'ABCD-EFGH-JK')}`);
  await waitHeading(page, ui['ui.start.title']);
  assert.ok((await width()) <= 320, 'start screen');
  await page.goto(`${BASE}/?demo=1`);
  await page.getByRole('button', { name: ui['ui.demo.start'] }).click();
  await page.getByRole('button', { name: ui['ui.intro.begin'] }).click();
  // The first question screens (screening and background, the longest option texts).
  const choose = chooser('both');
  for (let i = 0; i < 8; i++) {
    const h = await heading(page);
    assert.ok((await width()) <= 320, `screen "${h}"`);
    const q = byText.get(h);
    const v = choose(q);
    if (v !== undefined) await pick(page, q, v);
    await next(page);
  }
  await page.context().close();
});

test('sending retries with the same submission id after a network error and a 503', async () => {
  requireCode();
  const page = await newPage();
  const bodies = [];
  let n = 0;
  await page.route('**/api/responses', async (route) => {
    bodies.push(route.request().postData());
    n++;
    if (n === 1) return route.abort('internetdisconnected');
    if (n === 2) {
      return route.fulfill({
        status: 503,
        headers: { 'content-type': 'application/json', 'retry-after': '1' },
        body: JSON.stringify({ error: { code: 'storage_unavailable', message: 'try again' } }),
      });
    }
    return route.continue();
  });
  const before = count();
  await startWithCode(page, CODE);
  await walk(page, chooser('training'));
  await page.getByRole('button', { name: ui['ui.send'], exact: true }).click();
  await page.getByText(ui['ui.sending.retry']).waitFor();
  await waitHeading(page, ui['ui.thanks.title']);
  assert.equal(bodies.length, 3);
  assert.equal(bodies[1], bodies[0], 'the same body is resent');
  assert.equal(bodies[2], bodies[0], 'the same body is resent');
  assert.equal(count(), before + 1);
  await page.context().close();
});

test('a final 4xx on send shows a clear message; after changing the group, hidden answers are not sent', async () => {
  requireCode();
  const page = await newPage();
  let n = 0;
  const bodies = [];
  await page.route('**/api/responses', async (route) => {
    n++;
    bodies.push(route.request().postDataJSON());
    if (n === 1) {
      return route.fulfill({
        status: 403,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ error: { code: 'survey_closed', message: 'closed' } }),
      });
    }
    return route.continue();
  });
  const before = count();
  await startWithCode(page, CODE);
  const { answers } = await walk(page, chooser('intro'));
  await page.getByRole('button', { name: ui['ui.send'], exact: true }).click();
  await waitHeading(page, ui['ui.send_err.title']);
  assert.equal((await page.getByRole('alert').textContent()).trim(), ui['ui.send_err.survey_closed']);
  assert.equal(n, 1, 'a 403 is not retried');
  await page.getByRole('button', { name: ui['ui.send_err.review'] }).click();
  await waitHeading(page, ui['ui.review.title']);

  // Change the group from the review: the adviser questions become hidden.
  await page.getByText(ui['ui.review.show']).click();
  await page.getByRole('listitem').filter({ hasText: texts['q.q_group.text'] })
    .getByRole('button', { name: ui['ui.review.change'] }).click();
  await waitHeading(page, texts['q.q_group.text']);
  await pick(page, qn.questions[0], 'training');
  await next(page);
  await walk(page, () => undefined); // the other answers are kept
  await page.getByRole('button', { name: ui['ui.send'], exact: true }).click();
  await waitHeading(page, ui['ui.thanks.title']);
  assert.equal(count(), before + 1);

  answers.q_group = 'training';
  const expected = Object.fromEntries(Object.entries(answers).filter(([id]) => shown(qn.questions.find((q) => q.id === id), answers)));
  assert.ok(Object.keys(expected).length < Object.keys(answers).length, 'some answers became hidden');
  assert.deepEqual(bodies[1].answers, expected);
  assert.notEqual(bodies[1].submission_id, undefined);
  assert.equal(bodies[1].submission_id, bodies[0].submission_id);
  await page.context().close();
});

test('a wave that is not open yet gets a friendly screen with its dates', async () => {
  const page = await newPage();
  const closes = '2031-01-31T23:00:00Z';
  await page.route('**/api/codes/validate', (route) => route.fulfill({
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ survey_id: SURVEY, unit: { number: '4601', name: 'Bergen', county: 'Vestland' }, status: 'upcoming', closes_at: closes }),
  }));
  await page.goto(`${BASE}/?code=ABCD-EFGH-JK`);
  await waitHeading(page, ui['ui.start.title']);
  await page.getByRole('button', { name: ui['ui.start'], exact: true }).click();
  await waitHeading(page, ui['ui.closed.title']);
  // The last day shown is the day before the midnight (Oslo) closing time.
  await page.getByText(/31\. januar 2031/).waitFor();
  await page.getByRole('button', { name: ui['ui.back'], exact: true }).click();
  await waitHeading(page, ui['ui.start.title']);
  await page.context().close();
});
