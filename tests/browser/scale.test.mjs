// The scale's picture: beside the words of every scale point, five rising bars
// with the point's number filled, the same in every language; hidden from
// screen readers, whose names stay the words; following rtl; "Vet ikke" has none.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, CODE, SURVEY, launch, getJSON, phonePage, nextHeading, answerFor, textsOf } from './pages.mjs';

let browser;
let qn;

before(async () => {
  browser = await launch();
  qn = await getJSON(`/api/surveys/${SURVEY}/questionnaire`);
});
after(async () => { await browser?.close(); });

// Answers questions in order until the first scale question is on screen.
async function toFirstScale(page, lang) {
  const texts = await textsOf(lang);
  await page.goto(`${BASE}/?lang=${lang}&code=${encodeURIComponent(CODE)}`);
  await page.getByRole('button', { name: texts.ui['ui.start'], exact: true }).click();
  await page.waitForFunction((t) => document.querySelector('main h1')?.textContent.trim() === t, texts.ui['ui.intro.title']);
  await page.getByRole('button', { name: texts.ui['ui.intro.begin'], exact: true }).click();
  let h = await nextHeading(page, texts.ui['ui.intro.title']);
  for (;;) {
    const q = qn.questions.find((x) => texts.content[`q.${x.id}.text`] === h);
    assert.ok(q, `${lang}: a known question on screen: ${h}`);
    if (q.type === 'scale') return { q, texts };
    for (const v of [].concat(answerFor(q))) await page.locator(`main input[name="${q.id}"][value="${v}"]`).check();
    await page.locator('main form button[type=submit]').click();
    h = await nextHeading(page, h);
  }
}

for (const lang of ['nb', 'ar', 'ti', 'uk', 'so']) {
  test(`${lang}: every scale point has its picture beside the words, hidden from screen readers`, async () => {
    const page = await phonePage(browser, lang);
    const { q, texts } = await toFirstScale(page, lang);
    for (const o of q.options) {
      const label = page.locator(`main label.opt:has(input[value="${o.value}"])`);
      const pic = label.locator('.steps');
      if (o.value === 'dont_know') {
        assert.equal(await pic.count(), 0, `${lang}: "Vet ikke" is no point on the scale`);
        continue;
      }
      assert.equal(await pic.getAttribute('aria-hidden'), 'true');
      assert.equal(await pic.locator('i').count(), 5);
      assert.equal(await pic.locator('i.on').count(), Number(o.value), `${lang}: point ${o.value} fills ${o.value} bars`);
      const words = texts.content[`scale.${q.scale}.${o.value}`];
      assert.equal(await page.getByRole('radio', { name: words, exact: true }).count(), 1, `${lang}: the radio is named by its words only`);
      const [radio, bars] = [await label.locator('input').boundingBox(), await pic.boundingBox()];
      assert.ok(Math.abs((radio.y + radio.height / 2) - (bars.y + bars.height / 2)) < 16, `${lang}: the picture sits on the option's row`);
    }
    // The bars rise in the direction the text runs: left to right, or right to left in rtl.
    const xs = await page.locator('main label.opt .steps').first().locator('i').evaluateAll((l) => l.map((i) => i.getBoundingClientRect().x));
    const rising = xs.every((x, i) => i === 0 || (lang === 'ar' ? x < xs[i - 1] : x > xs[i - 1]));
    assert.ok(rising, `${lang}: bars in reading order ${xs}`);
    // Keyboard: arrows move between the points, and the choice is kept.
    await page.locator(`main input[value="${q.options[0].value}"]`).focus();
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.locator(`main input[value="${q.options[1].value}"]`).isChecked(), true);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
}
