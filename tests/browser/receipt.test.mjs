// The end screen says what the receipt is for (issue 13, "End screen"), in every
// language: beside the code, in one box, a plain text that it proves the answers
// arrived, holds nothing about the person, need not be kept, and can be shown to the
// teacher. Each language's text is made from today's bokmål text (a draft until reviewed).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ulid, answersToSend } from '../../static-site/logic.js';
import { BASE, CODE, SURVEY, launch, getJSON, languages, phonePage, answerFor } from './pages.mjs';

const PKEY = 'brukerundersokelse.progress.v1';
const KEY = 'ui.thanks.receipt_about';
let browser;
let qn;
let langs;
before(async () => {
  browser = await launch();
  qn = await getJSON(`/api/surveys/${SURVEY}/questionnaire`);
  langs = await languages();
});
after(async () => { await browser?.close(); });

test('bokmål says what the receipt proves, that it holds nothing about you, need not be kept, and may be shown to the teacher', async () => {
  const nb = (await getJSON('/i18n/nb.json')).strings[KEY];
  for (const part of ['svarene dine kom fram', 'ingenting om hvem du er eller hva du svarte', 'trenger ikke ta vare på den', 'læreren']) {
    assert.ok(nb.includes(part), `"${part}" in: ${nb}`);
  }
  const source = createHash('sha256').update(nb).digest('hex').slice(0, 12);
  for (const l of langs.filter((x) => x.code !== 'nb')) {
    const file = await getJSON(`/i18n/${l.code}.json`);
    assert.equal(file.meta[KEY].source, source, `${l.code}: translated from today's bokmål text`);
    assert.ok(file.strings[KEY] && file.strings[KEY] !== nb, `${l.code}: its own text`);
  }
});

test('every language: the thank-you screen shows the receipt and, in the same box, what it is for', async () => {
  assert.ok(CODE, 'ACCESS_CODE must be set to a valid code of the open wave "local"');
  // One participant's answers, frozen for sending as the page freezes them.
  const answers = {};
  for (const q of qn.questions) answers[q.id] = answerFor(q);
  const toSend = answersToSend(qn, answers);
  assert.equal(langs.length, 24);
  for (const l of langs) {
    const ui = (await getJSON(`/i18n/${l.code}.json`)).strings;
    const page = await phonePage(browser, l.code);
    const submission = ulid();
    const progress = {
      v: 1, survey_id: SURVEY, code: CODE, language: l.code, submission_id: submission, answers, screen: 'sending', saved_at: Date.now(),
      pending: { survey_id: SURVEY, access_code: CODE, submission_id: submission, language: l.code, answers: toSend },
    };
    await page.goto(`${BASE}/i18n/languages.json`);
    await page.evaluate(([k, p]) => localStorage.setItem(k, JSON.stringify(p)), [PKEY, progress]);
    await page.goto(`${BASE}/`);
    await page.locator('main [data-key="ui.resume.continue"]').click();
    await page.locator('#receipt').waitFor();
    const box = page.locator('main .receipt');
    assert.match(await box.locator('#receipt').textContent(), /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/, l.code);
    const about = box.locator(`[data-key="${KEY}"]`);
    assert.equal((await about.textContent()).trim(), ui[KEY], `${l.code}: the explanation is in the receipt's box`);
    assert.ok(await about.isVisible(), l.code);
    assert.equal(await page.getAttribute('html', 'lang'), l.code);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  }
});
