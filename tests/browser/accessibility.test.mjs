// Universal design (WCAG 2.1 AA) in Chromium:
// - axe-core finds 0 violations on every page, the survey's screens in all of
//   its languages (start, demo start, intro, the language screen, a question
//   of each type, the screen that ends the survey, review, thank-you, the
//   question a shared device asks before saved answers are shown), the
//   demo's end, and the other pages in each of their languages;
// - the whole survey can be completed with the keyboard alone;
// - focus is visible: the focused look differs from the unfocused one by
//   pixels with at least 3:1 contrast, around the whole element;
// - 320 px reflow and 200 % zoom without sideways scrolling;
// - the footer does not jump down while the first screen loads (layout shift);
// - the language picker: every name marked with its own lang and dir, and no
//   name broken inside a word.
//
// One browser; the survey's languages are switched on each screen with the
// page's own language button. The thank-you screens in the axe loop come from
// a faked POST /api/responses (201); the keyboard test stores a real answer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import AxeBuilder from '@axe-core/playwright';
import { BASE, CODE, launch, languages, getJSON, phonePage, nextHeading, answerFor, SURVEY } from './pages.mjs';

const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
let browser;
let langs;
let qn;

before(async () => {
  browser = await launch();
  langs = await languages();
  qn = await getJSON(`/api/surveys/${SURVEY}/questionnaire`);
});
after(async () => { await browser?.close(); });

async function axe(page, what, found) {
  // Only violations are wanted: much faster than axe's full report.
  const result = await new AxeBuilder({ page }).withTags(WCAG).options({ resultTypes: ['violations'] }).analyze();
  for (const v of result.violations) found.push(`${what}: ${v.id} ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
}

const heading = async (page) => (await page.locator('main h1').first().textContent()).trim();
const questionId = (page) => page.locator('main fieldset input').first().getAttribute('name');

// Switches the survey's language with the header's language button and comes back to the same screen.
async function switchLanguage(page, code, onLanguageScreen) {
  await page.locator('header .btn.small').click();
  await page.locator('main input[name=lang]').first().waitFor();
  if (onLanguageScreen) await onLanguageScreen();
  if (await page.evaluate((c) => document.documentElement.lang !== c, code)) {
    // The screen is drawn again in the new language: wait for new elements, not only the new lang.
    await page.evaluate(() => { document.querySelector('main h1').dataset.stale = '1'; });
    await page.locator(`main input[name=lang][value="${code}"]`).check();
    await page.waitForFunction((c) => document.documentElement.lang === c && !document.querySelector('main h1').dataset.stale, code);
  }
  await page.locator('main button[type=submit]').click();
  await page.waitForFunction(() => !document.querySelector('main input[name=lang]'));
}

// Answers question screens with answerFor until the question `stop` (or the review screen).
async function walkTo(page, stop) {
  for (let i = 0; i < 100; i++) {
    if (!(await page.locator('main fieldset input').count())) return;
    const id = await questionId(page);
    if (id === stop) return;
    const q = qn.questions.find((x) => x.id === id);
    for (const v of [].concat(answerFor(q))) await page.locator(`main input[name="${id}"][value="${v}"]`).check();
    const old = await heading(page);
    await page.locator('main form button[type=submit]').click();
    await nextHeading(page, old);
  }
  assert.fail('too many screens');
}

test('axe: 0 violations on every page, and on the survey\'s screens in its languages', async (t) => {
  const started = Date.now();
  const found = [];
  const page = await phonePage(browser, 'nb-NO');
  for (const l of langs) {
    await page.goto(`${BASE}/?lang=${l.code}`);
    await page.waitForFunction((c) => document.documentElement.lang === c && document.querySelector('main h1'), l.code);
    await axe(page, `${l.code} start`, found);
  }
  // The demo from start to end.
  for (const l of langs) {
    await page.goto(`${BASE}/?lang=${l.code}&demo=1`);
    await page.waitForFunction((c) => document.documentElement.lang === c && document.querySelector('main h1'), l.code);
    await axe(page, `${l.code} demo start`, found);
  }
  await page.goto(`${BASE}/?lang=nb&demo=1`);
  await page.locator('main h1').waitFor();
  let h = await heading(page);
  await page.locator('main button[type=submit]').click();
  h = await nextHeading(page, h);
  await page.locator('main .nav .btn.primary').click();
  await nextHeading(page, h);
  await walkTo(page, null);
  h = await heading(page);
  await page.locator('main .nav .btn.primary').click();
  await nextHeading(page, h);
  await axe(page, 'nb demo end', found);
  await page.context().close();

  // The real survey with a code; the answer is never sent (POST faked).
  assert.ok(CODE, 'ACCESS_CODE must be set');
  const survey = await phonePage(browser, 'nb-NO');
  await survey.context().route('**/api/responses', (route) => route.fulfill({
    status: 201, contentType: 'application/json', body: JSON.stringify({ receipt: 'AXE-TEST-RECEIPT', duplicate: false }),
  }));
  await survey.goto(`${BASE}/?lang=nb&code=${encodeURIComponent(CODE)}`);
  await survey.locator('main h1').waitFor();
  h = await heading(survey);
  await survey.locator('main button[type=submit]').click();
  await nextHeading(survey, h);
  const inLanguages = async (codes, what, after) => {
    for (const code of codes) {
      await switchLanguage(survey, code, what === 'intro' ? () => axe(survey, `${code} language screen`, found) : null);
      await axe(survey, `${code} ${what}`, found);
      if (after) await after(code);
    }
  };
  const every = langs.map((l) => l.code);
  await inLanguages(every, 'intro');
  h = await heading(survey);
  await survey.locator('main .nav .btn.primary').click();
  await nextHeading(survey, h);
  const firstOf = (type) => qn.questions.find((q) => q.type === type && !q.show_if).id;
  const leave = qn.questions.find((q) => q.options.some((o) => o.ends_survey));
  await walkTo(survey, leave.id);
  // A single choice, and the screen its survey-ending option leads to.
  await inLanguages(every, `question ${leave.id} (single)`, async (code) => {
    await survey.locator(`main input[value="${leave.options.find((o) => o.ends_survey).value}"]`).check();
    await survey.locator('main form button[type=submit]').click();
    await survey.waitForFunction(() => !document.querySelector('main fieldset'));
    await axe(survey, `${code} survey ended`, found);
    await survey.locator('main .nav .btn').click();
    await survey.locator('main fieldset input').first().waitFor();
  });
  await walkTo(survey, firstOf('scale'));
  await inLanguages(every, `question ${firstOf('scale')} (scale)`);
  await walkTo(survey, firstOf('multi'));
  await inLanguages(every, `question ${firstOf('multi')} (multi)`);
  await walkTo(survey, null);
  // Review (answers shown), then send and thank you; the saved progress is put back for the next language.
  const saved = await survey.evaluate(() => JSON.stringify(Object.entries(localStorage)));
  await inLanguages(every, 'review', async (code) => {
    await survey.locator('main details summary').click();
    await axe(survey, `${code} review, answers shown`, found);
    await survey.locator('main .nav .btn.primary').click();
    await survey.locator('#receipt').waitFor();
    await axe(survey, `${code} thank you`, found);
    await survey.evaluate((s) => { localStorage.clear(); for (const [k, v] of JSON.parse(s)) localStorage.setItem(k, v); }, saved);
    await survey.reload();
    // Saved answers: the page first asks whether this is the same person.
    await survey.locator('main h1').waitFor();
    await switchLanguage(survey, code);
    await axe(survey, `${code} continue or new person`, found);
    await survey.locator('main .nav .btn.primary').click();
    await survey.locator('main details').waitFor();
  });
  await survey.context().close();

  // The other pages, in each of their languages.
  const others = [
    ...['nb', 'nn', 'en'].flatMap((l) => [`/registrer/?lang=${l}`, `/registrer/bekreft/?lang=${l}`, `/registrer/godkjenn/?lang=${l}`, `/ark/?lang=${l}&code=${encodeURIComponent(CODE)}`, `/resultater/?lang=${l}`]),
    '/tilgjengelighet/', '/tilgjengelighet/en/',
  ];
  const other = await phonePage(browser, 'nb-NO');
  for (const path of others) {
    await other.goto(BASE + path, { waitUntil: 'networkidle' });
    await other.locator('main h1').first().waitFor();
    await axe(other, path, found);
  }
  await other.context().close();
  t.diagnostic(`axe: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  assert.deepEqual(found, []);
});

// Presses Tab until the focused element matches selector.
async function tabTo(page, selector) {
  for (let i = 0; i < 80; i++) {
    if (await page.evaluate((s) => document.activeElement?.matches(s), selector)) return;
    await page.keyboard.press('Tab');
  }
  assert.fail(`Tab never reached ${selector}`);
}

test('keyboard only: the whole survey is completed and the answer stored', async () => {
  assert.ok(CODE, 'ACCESS_CODE must be set');
  const page = await phonePage(browser, 'nb-NO', { viewport: { width: 1024, height: 768 }, isMobile: false, hasTouch: false });
  let status = 0;
  page.on('response', (r) => { if (r.request().method() === 'POST' && r.url().endsWith('/api/responses')) status = r.status(); });
  await page.goto(`${BASE}/?lang=nb`);
  await page.locator('main h1').waitFor();
  await tabTo(page, '#code');
  await page.keyboard.type(CODE);
  await tabTo(page, 'main form button[type=submit]');
  let h = await heading(page);
  await page.keyboard.press('Enter');
  h = await nextHeading(page, h);
  await tabTo(page, 'main .nav .btn.primary');
  await page.keyboard.press('Enter');
  h = await nextHeading(page, h);
  let answered = 0;
  while (await page.locator('main fieldset input').count()) {
    const id = await questionId(page);
    const q = qn.questions.find((x) => x.id === id);
    const want = [].concat(answerFor(q));
    if (q.type === 'multi') {
      for (const v of want) {
        await tabTo(page, `main input[name="${id}"][value="${v}"]`);
        await page.keyboard.press('Space');
      }
    } else {
      // Tab into the group, Space checks the focused option, arrows move the choice.
      await tabTo(page, `main input[name="${id}"]`);
      await page.keyboard.press('Space');
      for (let i = 0; i < q.options.length && !(await page.locator(`main input[name="${id}"][value="${want[0]}"]`).isChecked()); i++) {
        await page.keyboard.press('ArrowDown');
      }
    }
    for (const v of want) assert.ok(await page.locator(`main input[name="${id}"][value="${v}"]`).isChecked(), `${id}=${v} chosen by keyboard`);
    await tabTo(page, 'main form button[type=submit]');
    await page.keyboard.press('Enter');
    h = await nextHeading(page, h);
    answered++;
  }
  assert.ok(answered >= 30, `answered ${answered} questions`);
  await tabTo(page, 'main .nav .btn.primary');
  await page.keyboard.press('Enter');
  await page.locator('#receipt').waitFor();
  assert.equal(status, 201, 'the API stored the answer');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

// The relative luminance and contrast ratio of WCAG 2.1.
const luminance = ([r, g, b]) => {
  const c = (v) => { const s = v / 255; return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4; };
  return 0.2126 * c(r) + 0.7152 * c(g) + 0.0722 * c(b);
};
const contrast = (a, b) => { const [x, y] = [luminance(a), luminance(b)].sort((m, n) => n - m); return (x + 0.05) / (y + 0.05); };

// Pixels of the area around the focused element whose colour changed with at
// least 3:1 contrast between the unfocused and the focused look.
// The page may still move while it settles (the audio buttons arrive after the
// screen), so both pictures are taken again until the element stood still.
async function focusChange(page, selector) {
  const el = page.locator(selector).first();
  const same = (a, b) => ['x', 'y', 'width', 'height'].every((k) => Math.abs(a[k] - b[k]) < 0.5);
  let box, unfocused, focused;
  for (let attempt = 0; ; attempt++) {
    await el.scrollIntoViewIfNeeded();
    box = await el.boundingBox();
    const pad = 12;
    const clip = { x: Math.max(0, box.x - pad), y: Math.max(0, box.y - pad), width: box.width + 2 * pad, height: box.height + 2 * pad };
    await page.evaluate(() => document.activeElement?.blur());
    unfocused = await page.screenshot({ clip });
    await page.keyboard.press('Shift'); // a key press, so that the focus below is keyboard focus
    await el.focus();
    assert.ok(await el.evaluate((e) => e.matches(':focus-visible')), `${selector} has keyboard focus`);
    focused = await page.screenshot({ clip });
    if (same(box, await el.boundingBox())) break;
    assert.ok(attempt < 5, `${selector} kept moving`);
  }
  const pixels = await page.evaluate(async ([a, b]) => {
    const load = async (b64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.width; c.height = img.height;
      const ctx = c.getContext('2d');
      ctx.drawImage(img, 0, 0);
      return ctx.getImageData(0, 0, img.width, img.height).data;
    };
    return [Array.from(await load(a)), Array.from(await load(b))];
  }, [unfocused.toString('base64'), focused.toString('base64')]);
  let changed = 0;
  for (let i = 0; i < pixels[0].length; i += 4) {
    if (contrast(pixels[0].slice(i, i + 3), pixels[1].slice(i, i + 3)) >= 3) changed++;
  }
  return { changed, perimeter: 2 * (box.width + box.height) };
}

test('focus is visible: every kind of control changes by at least a 1 px ring of 3:1 contrast when focused', async () => {
  const page = await phonePage(browser, 'nb-NO', { viewport: { width: 1024, height: 768 }, isMobile: false, hasTouch: false });
  const weak = [];
  const check = async (selector) => {
    const { changed, perimeter } = await focusChange(page, selector);
    if (changed < perimeter) weak.push(`${selector}: ${changed} px changed, perimeter ${Math.round(perimeter)} px`);
  };
  await page.goto(`${BASE}/?lang=nb&demo=1`);
  await page.locator('main h1').waitFor();
  for (const s of ['main input[name=lang]', 'main form button[type=submit]', '#a11y-link']) await check(s);
  let h = await heading(page);
  await page.locator('main form button[type=submit]').click();
  h = await nextHeading(page, h);
  for (const s of ['header .btn.small', 'main .nav .btn.primary', 'main .nav .btn:not(.primary)']) await check(s);
  await page.locator('main .nav .btn.primary').click();
  await nextHeading(page, h);
  await check('main fieldset input');
  await walkTo(page, qn.questions.find((q) => q.type === 'multi').id);
  await check('main fieldset input');
  await walkTo(page, null);
  for (const s of ['main details summary', 'main .nav .btn.primary']) await check(s);
  await page.locator('main details summary').click();
  await check('main .review .btn.link');
  await page.goto(`${BASE}/?lang=nb`);
  await page.locator('#code').waitFor();
  await check('#code');
  for (const path of ['/registrer/', '/tilgjengelighet/']) {
    await page.goto(BASE + path, { waitUntil: 'networkidle' });
    await check('.lang-nav a');
    await check('footer a');
  }
  await page.context().close();
  assert.deepEqual(weak, []);
});

test('the footer is not seen moving while the first screen loads (no layout shift of it)', async () => {
  const page = await phonePage(browser, 'nb-NO');
  await page.addInitScript(() => {
    window.footerShifts = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        if (entry.sources.some((s) => s.node?.closest?.('footer'))) window.footerShifts.push(entry.value);
      }
    }).observe({ type: 'layout-shift', buffered: true });
  });
  await page.goto(`${BASE}/`, { waitUntil: 'networkidle' });
  await page.locator('main h1').waitFor();
  assert.ok(await page.locator('footer #a11y-link').isVisible(), 'the footer shows once the screen is there');
  assert.deepEqual(await page.evaluate(() => window.footerShifts), []);
  await page.context().close();
  const noScripts = await phonePage(browser, 'nb-NO', { javaScriptEnabled: false });
  await noScripts.goto(`${BASE}/`);
  assert.ok(await noScripts.locator('footer #a11y-link').isVisible(), 'without scripts the footer and its link show');
  await noScripts.context().close();
});

test('320 px reflow and 200 % zoom: no page scrolls sideways', async () => {
  const wide = [];
  // 320 CSS px is 1280 px at 400 %; 640 CSS px is 1280 px at 200 %.
  for (const width of [320, 640]) {
    const page = await phonePage(browser, 'nb-NO', { viewport: { width, height: 640 }, isMobile: false, hasTouch: false });
    const measure = async (what) => {
      const w = await page.evaluate(() => document.documentElement.scrollWidth);
      if (w > width) wide.push(`${what} at ${width} px: ${w} px wide`);
    };
    for (const lang of ['nb', 'uk', 'ar', 'my', 'ti', 'ur']) {
      await page.goto(`${BASE}/?lang=${lang}&demo=1`);
      await page.waitForFunction((c) => document.documentElement.lang === c && document.querySelector('main h1'), lang);
      await measure(`${lang} start`);
      let h = await heading(page);
      await page.locator('main form button[type=submit]').click();
      h = await nextHeading(page, h);
      await measure(`${lang} intro`);
      await page.locator('main .nav .btn.primary').click();
      await nextHeading(page, h);
      await measure(`${lang} question`);
    }
    for (const path of ['/registrer/', '/ark/?code=ABCD-EFGH-123', '/resultater/', '/tilgjengelighet/', '/tilgjengelighet/en/']) {
      await page.goto(BASE + path, { waitUntil: 'networkidle' });
      await page.locator('main h1').first().waitFor();
      await measure(path);
    }
    await page.context().close();
  }
  assert.deepEqual(wide, []);
});

test('language picker: each name is marked with its own lang and dir, and no name breaks inside a word', async () => {
  const broken = [];
  for (const width of [320, 360, 640]) {
    const page = await phonePage(browser, 'nb-NO', { viewport: { width, height: 700 } });
    await page.goto(`${BASE}/?lang=nb`);
    await page.locator('main .langs label').first().waitFor();
    await page.evaluate(() => document.fonts.ready);
    const labels = await page.evaluate(() => [...document.querySelectorAll('main .langs label')].map((l) => {
      const span = l.querySelector('.lang-name');
      const text = span.firstChild;
      // A word drawn on more than one line has client rects at more than one height.
      const splitWords = [];
      let at = 0;
      for (const word of text.data.split(' ')) {
        const range = document.createRange();
        range.setStart(text, at);
        range.setEnd(text, at + word.length);
        const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
        if (tops.size > 1) splitWords.push(word);
        at += word.length + 1;
      }
      return { code: l.querySelector('input').value, lang: l.getAttribute('lang'), dir: l.getAttribute('dir'), name: text.data, splitWords };
    }));
    assert.equal(labels.length, langs.length);
    for (const l of langs) {
      const shown = labels.find((x) => x.code === l.code);
      assert.equal(shown.lang, l.code, `lang of ${l.code}`);
      assert.equal(shown.dir, l.dir, `dir of ${l.code}`);
      assert.equal(shown.name, l.native_name);
      if (shown.splitWords.length) broken.push(`${width} px: ${l.code} "${shown.splitWords.join(' ')}"`);
    }
    await page.context().close();
  }
  assert.deepEqual(broken, []);
});
