// Left-to-right names inside right-to-left text (issue 13, "Bidirectional text"):
// every run of Latin script in a text of an rtl language (a programme's Norwegian
// name, a municipality, "PC") is isolated in a <bdi dir=ltr>, with its brackets
// inside, so "(introduksjonsprogrammet)" never renders as "introduksjonsprogram)" / "(met".
// Checked on the splitting rule itself, on every text of every rtl language, and on
// the real survey screens in every rtl language.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ltrRuns } from '../../static-site/i18n.js';
import { BASE, SURVEY, launch, getJSON, languages, phonePage, nextHeading, openDemo, answerFor } from './pages.mjs';

const units = (file, col) => readFileSync(new URL(`../../shared/domain/data/${file}`, import.meta.url), 'utf8')
  .trim().split('\n').slice(1).map((l) => l.split(',')[col]);

test('ltrRuns: each unit name inside an Arabic sentence is one run, brackets and all', () => {
  const names = [...units('kommuner.csv', 1), ...units('oslo-bydeler.csv', 1)];
  assert.ok(names.length > 350 && names.includes('Herøy (Nordland)') && names.includes('St. Hanshaugen'));
  for (const name of names) {
    assert.deepEqual(ltrRuns(`أنت في ${name}. شكرًا`), ['أنت في ', name, '. شكرًا'], name);
    assert.deepEqual(ltrRuns(`البرنامج (${name})، ثم`), ['البرنامج ', `(${name})`, '، ثم'], name);
  }
});

test('ltrRuns: the text around a run stays outside it; text without rtl letters is left alone', () => {
  assert.deepEqual(ltrRuns('«خطة فردية» (individuell plan). في'), ['«خطة فردية» ', '(individuell plan)', '. في']);
  assert.deepEqual(ltrRuns('كمبيوتر (PC)'), ['كمبيوتر ', '(PC)', '']);
  assert.deepEqual(ltrRuns('«Vet ikke» یعنی'), ['', '«Vet ikke»', ' یعنی']);
  assert.deepEqual(ltrRuns('السؤال 3 من 39'), ['السؤال 3 من 39'], 'numbers alone are no run');
  assert.deepEqual(ltrRuns('Programmet (introduksjonsprogrammet)'), ['Programmet (introduksjonsprogrammet)']);
  assert.deepEqual(ltrRuns('Питання (introduksjonsprogrammet)'), ['Питання (introduksjonsprogrammet)']);
});

let browser;
let rtl;
before(async () => {
  browser = await launch();
  rtl = (await languages()).filter((l) => l.dir === 'rtl').map((l) => l.code);
});
after(async () => { await browser?.close(); });

// Problems in the texts under `root`: Latin letters outside an isolate, an isolate whose
// brackets are split from it, or whose "(" and ")" do not enclose the name on screen.
function bidiProblems(root) {
  const LAT = /\p{sc=Latin}/u;
  const problems = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const e = n.parentElement;
    if (e.closest('[translate=no], .lang-name, input')) continue;
    const iso = e.closest('bdi[dir=ltr]');
    if (!iso) {
      if (LAT.test(n.data) && getComputedStyle(e).direction === 'rtl') problems.push(`not isolated: ${JSON.stringify(n.data)}`);
      continue;
    }
    const s = n.data;
    const before = iso.previousSibling?.textContent ?? '';
    const after = iso.nextSibling?.textContent ?? '';
    if (/[([«“]\s*$/.test(before) || /^\s*[)\]»”]/.test(after)) problems.push(`bracket outside the isolate: ${JSON.stringify(before + '|' + s + '|' + after)}`);
    if (getComputedStyle(iso).unicodeBidi !== 'isolate' || getComputedStyle(iso).direction !== 'ltr') problems.push(`not an ltr isolate: ${s}`);
    const pairs = { '(': ')', '[': ']', '«': '»', '“': '”' };
    if (pairs[s[0]]) {
      if (s.at(-1) !== pairs[s[0]]) problems.push(`unbalanced: ${s}`);
      const glyph = (i) => { const r = document.createRange(); r.setStart(n, i); r.setEnd(n, i + 1); return r.getClientRects()[0]; };
      const boxes = [...iso.getClientRects()].filter((r) => r.width > 0);
      const open = glyph(0);
      const close = glyph(s.length - 1);
      const name = glyph(1);
      // Left to right: "(" opens the first line's piece at its left, ")" closes the last piece at its right.
      if (Math.abs(open.left - boxes[0].left) > 1 || open.left >= name.left) problems.push(`"${s[0]}" is not left of the name: ${s}`);
      if (Math.abs(close.right - boxes.at(-1).right) > 1) problems.push(`"${s.at(-1)}" is not right of the name: ${s}`);
    }
  }
  return problems;
}

test('every text of every rtl language, with a unit name filled in, isolates its Latin runs', async () => {
  assert.deepEqual(rtl.sort(), ['ar', 'ckb', 'fa', 'prs', 'ps', 'ur']);
  for (const lang of rtl) {
    // A phone narrow enough that the longer names break over lines.
    const page = await phonePage(browser, lang);
    await page.goto(`${BASE}/?lang=${lang}&demo=1`);
    await page.locator('main h1').waitFor();
    assert.equal(await page.getAttribute('html', 'dir'), 'rtl');
    const isolated = await page.evaluate(async ([lang, survey]) => {
      const { txt, setUi, setContent } = await import('/i18n.js');
      const [ui, content] = await Promise.all([`/i18n/${lang}.json`, `/content/${survey}/i18n/${lang}.json`].map((u) => fetch(u).then((r) => r.json())));
      setUi(ui.strings);
      setContent(content.strings);
      const vars = { unit: 'Herøy (Møre og Romsdal)', n: 3, total: 34, opens: '1. mars 2027', closes: '31. mars 2027' };
      const main = document.querySelector('main');
      const keys = [...Object.keys(ui.strings), ...Object.keys(content.strings)].filter((k) => !k.startsWith('invite.'));
      main.replaceChildren(...keys.map((k) => txt('p', k, { vars })));
      return [...main.querySelectorAll('bdi')].map((b) => b.textContent);
    }, [lang, SURVEY]);
    const problems = await page.evaluate(`(${bidiProblems.toString()})(document.querySelector('main'))`);
    assert.deepEqual(problems, [], lang);
    for (const name of ['(introduksjonsprogrammet)', 'Herøy (Møre og Romsdal)']) assert.ok(isolated.includes(name), `${lang}: ${name} is isolated`);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  }
});

test('the survey screens of every rtl language: names isolated where they are shown', async () => {
  const qn = await getJSON(`/api/surveys/${SURVEY}/questionnaire`);
  for (const lang of rtl) {
    const page = await phonePage(browser, lang);
    let h = await openDemo(page, lang);
    const seen = [];
    while (await page.locator('main fieldset input').count()) {
      const problems = await page.evaluate(`(${bidiProblems.toString()})(document.querySelector('main'))`);
      assert.deepEqual(problems, [], `${lang}: ${h}`);
      seen.push(...await page.locator('main bdi').allTextContents());
      const id = await page.locator('main fieldset input').first().getAttribute('name');
      const answer = id === 'q_group' ? 'intro' : answerFor(qn.questions.find((q) => q.id === id));
      for (const v of [].concat(answer)) await page.locator(`main input[name="${id}"][value="${v}"]`).check();
      await page.locator('main form button[type=submit]').click();
      h = await nextHeading(page, h);
    }
    for (const name of ['(introduksjonsprogrammet)', '(individuell plan)', '(PC)']) assert.ok(seen.includes(name), `${lang}: ${name} was shown isolated (${seen})`);
    // The review lists the answers again, the programme's name among them.
    await page.locator('main details summary').click();
    assert.ok((await page.locator('main details bdi').allTextContents()).includes('(introduksjonsprogrammet)'), `${lang}: review`);
    assert.deepEqual(await page.evaluate(`(${bidiProblems.toString()})(document.querySelector('main'))`), [], `${lang}: review`);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  }
});
