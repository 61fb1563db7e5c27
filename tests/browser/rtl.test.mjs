// Right to left: the whole survey answered in Arabic on a phone, against the
// local stack. The page is mirrored (dir=rtl, lang=ar), Back sits to the
// right of Next on every screen, the progress bar fills from the right, the
// progress numbers read in order, and the answer is stored (201, thank-you page).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, CODE, SURVEY, launch, getJSON, phonePage, nextHeading, answerFor, textsOf } from './pages.mjs';

let browser;
let qn;
let ar;

before(async () => {
  browser = await launch();
  qn = await getJSON(`/api/surveys/${SURVEY}/questionnaire`);
  ar = await textsOf('ar');
});
after(async () => { await browser?.close(); });

const ACCENT = [0x0b, 0x4f, 0x8a]; // --accent, the bar's filled part
const near = (a, b) => a.every((v, i) => Math.abs(v - b[i]) <= 24);

// Back and Next (the primary button) of the screen's navigation: Back must be to the right.
async function assertMirroredNav(page, where) {
  const nav = page.locator('main .nav').filter({ has: page.locator('.btn.primary') }).first();
  const back = await nav.locator('.btn:not(.primary)').first().boundingBox();
  const next = await nav.locator('.btn.primary').boundingBox();
  assert.ok(back.x >= next.x + next.width - 1, `${where}: Back (x ${back.x}) is right of Next (x ${next.x}..${next.x + next.width})`);
}

// The colours of the bar's first and last inner pixels, on its middle row, from a screenshot.
async function barEnds(page) {
  const bar = page.locator('main progress');
  const png = await bar.screenshot();
  return page.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.width; c.height = img.height;
    const ctx = c.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const y = Math.floor(img.height / 2);
    const at = (x) => Array.from(ctx.getImageData(x, y, 1, 1).data.slice(0, 3));
    return { left: at(4), right: at(img.width - 5) };
  }, png.toString('base64'));
}

test('Arabic: the whole survey right to left, mirrored, and the answer stored', async () => {
  assert.ok(CODE, 'ACCESS_CODE must be set to a valid code of the open wave "local"');
  const page = await phonePage(browser, 'ar');
  const posts = [];
  page.on('response', async (r) => {
    if (r.request().method() === 'POST' && r.url().endsWith('/api/responses')) posts.push({ status: r.status(), body: r.request().postDataJSON() });
  });
  await page.goto(`${BASE}/?lang=ar&code=${encodeURIComponent(CODE)}`);
  await page.locator('main h1').waitFor();
  assert.equal(await page.getAttribute('html', 'dir'), 'rtl');
  assert.equal(await page.getAttribute('html', 'lang'), 'ar');
  assert.equal((await page.locator('main h1').textContent()).trim(), ar.ui['ui.start.title']);
  // The start page reads from the right: the heading's right edge is at the right margin.
  const h1 = await page.locator('main h1').boundingBox();
  const main = await page.locator('main').boundingBox();
  assert.ok(main.x + main.width - (h1.x + h1.width) < 20, 'the heading starts at the right');

  let h = ar.ui['ui.start.title'];
  await page.getByRole('button', { name: ar.ui['ui.start'], exact: true }).click();
  h = await nextHeading(page, h);
  assert.equal(h, ar.ui['ui.intro.title']);
  await assertMirroredNav(page, 'intro');
  await page.getByRole('button', { name: ar.ui['ui.intro.begin'], exact: true }).click();
  h = await nextHeading(page, h);

  let n = 0;
  while (await page.locator('main fieldset input').count()) {
    n++;
    const id = await page.locator('main fieldset input').first().getAttribute('name');
    const q = qn.questions.find((x) => x.id === id);
    assert.equal(h, ar.content[`q.${id}.text`], `question ${n} is shown in Arabic`);
    await assertMirroredNav(page, id);
    // "السؤال 3 من 39": the numbers in reading order, the current one first (to the right).
    const progress = (await page.locator('#prog').textContent()).trim();
    const total = Number(await page.locator('main progress').getAttribute('max'));
    assert.equal(progress, ar.ui['ui.progress'].replace('{n}', n).replace('{total}', total));
    const numbers = page.locator('#prog');
    const order = await numbers.evaluate((p, [a, b]) => {
      const text = p.firstChild;
      const rect = (s, i) => { const r = document.createRange(); r.setStart(text, i); r.setEnd(text, i + s.length); return r.getBoundingClientRect(); };
      return [rect(a, text.data.indexOf(a)).left, rect(b, text.data.lastIndexOf(b)).left];
    }, [String(n), String(total)]);
    assert.ok(order[0] > order[1], `${progress}: the current number is right of the total`);
    if (n === 1) {
      // Filled from the right: the right end is the bar's colour, the left end is not.
      const ends = await barEnds(page);
      assert.ok(near(ends.right, ACCENT), `the bar's right end is filled (${ends.right})`);
      assert.ok(!near(ends.left, ACCENT), `the bar's left end is empty (${ends.left})`);
    }
    if (id === 'q_group') {
      // The Norwegian programme name inside the Arabic text is isolated left to right with its
      // brackets (bidi.test.mjs checks every rtl language) and marked as Norwegian (WCAG 3.1.2).
      assert.match(ar.content['q.q_group.opt.intro'], /introduksjonsprogrammet/);
      const term = page.locator('main label').filter({ hasText: 'introduksjonsprogrammet' }).locator('bdi[dir="ltr"][lang="nb"]');
      assert.equal((await term.textContent()).trim(), '(introduksjonsprogrammet)');
    }
    for (const v of [].concat(answerFor(q))) await page.locator(`main input[name="${id}"][value="${v}"]`).check();
    await page.locator('main form button[type=submit]').click();
    h = await nextHeading(page, h);
  }
  assert.equal(h, ar.ui['ui.review.title']);
  assert.ok(n >= 30, `answered ${n} questions`);
  await assertMirroredNav(page, 'review');
  await page.getByRole('button', { name: ar.ui['ui.send'], exact: true }).click();
  await nextHeading(page, h);
  await page.locator('#receipt').waitFor();
  assert.equal((await page.locator('main h1').textContent()).trim(), ar.ui['ui.thanks.title']);
  assert.equal(await page.locator('#receipt').getAttribute('dir'), 'ltr', 'the receipt code reads left to right');
  assert.equal(posts.length, 1);
  assert.equal(posts[0].status, 201, 'the API stored the answer');
  assert.equal(posts[0].body.language, 'ar');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('bokmål, for contrast: left to right, Back left of Next, the bar filling from the left', async () => {
  const page = await phonePage(browser, 'nb-NO');
  await page.goto(`${BASE}/?lang=nb&demo=1`);
  await page.locator('main h1').waitFor();
  assert.equal(await page.getAttribute('html', 'dir'), 'ltr');
  let h = (await page.locator('main h1').textContent()).trim();
  await page.locator('main form button[type=submit]').click();
  h = await nextHeading(page, h);
  await page.locator('main .nav .btn.primary').click();
  await nextHeading(page, h);
  const nav = page.locator('main .nav');
  const back = await nav.locator('.btn:not(.primary)').boundingBox();
  const next = await nav.locator('.btn.primary').boundingBox();
  assert.ok(back.x + back.width <= next.x + 1, 'Back is left of Next');
  const ends = await barEnds(page);
  assert.ok(near(ends.left, ACCENT), `the bar's left end is filled (${ends.left})`);
  assert.ok(!near(ends.right, ACCENT), `the bar's right end is empty (${ends.right})`);
  await page.context().close();
});
