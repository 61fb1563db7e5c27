// Scales are seen, not only read (issue 13, "Scales are words only"): every option of
// every scale question has a picture of rising, filled steps ("Vet ikke" a question
// mark, set apart), the same in all 24 languages; the picture is hidden from screen
// readers, so each radio's accessible name is its words alone; the steps rise towards
// the end of the line (mirrored right to left); keyboard selection works; in forced
// colours the picture takes the system's text colour.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SURVEY, launch, getJSON, languages, phonePage, nextHeading, openDemo, textsOf } from './pages.mjs';

let browser;
let qn;
let langs;
before(async () => {
  browser = await launch();
  qn = await getJSON(`/api/surveys/${SURVEY}/questionnaire`);
  langs = await languages();
});
after(async () => { await browser?.close(); });

// The demo up to the first question, then answers until a question of `scale` is shown.
async function openScale(page, lang, scale) {
  let h = await openDemo(page, lang);
  for (;;) {
    const id = await page.locator('main fieldset input').first().getAttribute('name');
    const q = qn.questions.find((x) => x.id === id);
    if (q.type === 'scale' && q.scale === scale) return q;
    const v = q.options.find((o) => !o.ends_survey && o.value !== 'dont_know' && o.value !== 'none').value;
    await page.locator(`main input[name="${id}"][value="${v}"]`).check();
    await page.locator('main form button[type=submit]').click();
    h = await nextHeading(page, h);
  }
}

// Per option: the picture's markup, whether it is hidden from assistive technology,
// its box, and the rendered boxes of its steps.
const pictures = (page) => page.locator('main fieldset label').evaluateAll((labels) => labels.map((l) => {
  const svg = l.querySelector('svg.scale-pic');
  return {
    value: l.querySelector('input').value,
    markup: svg && svg.outerHTML,
    hidden: svg && svg.getAttribute('aria-hidden'),
    box: svg && (({ width, height }) => ({ width, height }))(svg.getBoundingClientRect()),
    steps: svg ? [...svg.querySelectorAll('rect')].map((r) => ({ x: r.getBoundingClientRect().x, filled: r.getAttribute('fill') !== 'none' })) : [],
    top: l.getBoundingClientRect().top,
    bottom: l.getBoundingClientRect().bottom,
  };
}));

test('every scale question has the picture on every option, "Vet ikke" apart', async () => {
  const scales = [...new Set(qn.questions.filter((q) => q.type === 'scale').map((q) => q.scale))];
  assert.deepEqual(scales.sort(), ['agree', 'frequency', 'satisfied']);
  const page = await phonePage(browser, 'nb-NO');
  for (const scale of scales) {
    const q = await openScale(page, 'nb', scale);
    const pics = await pictures(page);
    assert.deepEqual(pics.map((p) => p.value), q.options.map((o) => o.value));
    const steps = pics.filter((p) => p.value !== 'dont_know');
    assert.equal(steps.length, 5);
    steps.forEach((p, k) => {
      assert.ok(p.markup, `${q.id} ${p.value}: a picture`);
      assert.equal(p.hidden, 'true');
      assert.deepEqual(p.steps.map((s) => s.filled), [0, 1, 2, 3, 4].map((i) => i <= k), `${q.id} ${p.value}: ${k + 1} steps filled`);
      assert.deepEqual(p.box, { width: 40, height: 24 });
    });
    const dk = pics.find((p) => p.value === 'dont_know');
    assert.ok(dk && dk.markup && dk.hidden === 'true' && dk.steps.length === 0, '"Vet ikke" has its own picture, no steps');
    const gap = dk.top - steps.at(-1).bottom;
    const between = steps[1].top - steps[0].bottom;
    assert.ok(gap >= between + 16, `"Vet ikke" is set apart (${gap} px against ${between} px between steps)`);
  }
  // The review shows each scale answer with its picture too.
  const given = {};
  for (;;) {
    const id = await page.locator('main fieldset input').first().getAttribute('name');
    const q = qn.questions.find((x) => x.id === id);
    given[id] = q.type === 'scale' ? String(1 + (Object.keys(given).length % 5)) : q.options.find((o) => !o.ends_survey && o.value !== 'dont_know' && o.value !== 'none').value;
    const h = (await page.locator('main h1').textContent()).trim();
    await page.locator(`main input[name="${id}"][value="${given[id]}"]`).check();
    await page.locator('main form button[type=submit]').click();
    await nextHeading(page, h);
    if (!(await page.locator('main fieldset input').count())) break;
  }
  const rows = await page.locator('main .review li').evaluateAll((lis) => lis.map((li) => ({
    id: li.querySelector('.rq').dataset.key.split('.')[1],
    steps: [...li.querySelectorAll('.ra svg.scale-pic')].map((s) => s.dataset.step),
    hidden: [...li.querySelectorAll('.ra svg.scale-pic')].every((s) => s.getAttribute('aria-hidden') === 'true'),
  })));
  const scaled = rows.filter((r) => qn.questions.find((q) => q.id === r.id).type === 'scale');
  assert.ok(scaled.length >= 20, `${scaled.length} scale answers in the review`);
  for (const r of rows) {
    const scale = qn.questions.find((q) => q.id === r.id).type === 'scale';
    // Scale questions before the loop above were answered with their first step (openScale).
    assert.deepEqual(r.steps, scale ? [given[r.id] ?? '1'] : [], `review of ${r.id}`);
    assert.ok(r.hidden, r.id);
  }
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('all 24 languages: the same pictures, names of words only, steps rising with the text, keyboard works', async () => {
  assert.equal(langs.length, 24);
  let reference = null;
  for (const l of langs) {
    const page = await phonePage(browser, l.code);
    const q = await openScale(page, l.code, 'agree');
    const texts = await textsOf(l.code);
    const pics = await pictures(page);
    const markup = pics.map((p) => [p.value, p.markup]);
    reference ??= markup;
    assert.deepEqual(markup, reference, `${l.code}: the pictures are those of ${langs[0].code}`);
    // The radio's accessible name is the option's words, nothing from the picture.
    for (const o of q.options) {
      const key = o.value === 'dont_know' ? 'opt.dont_know' : `scale.agree.${o.value}`;
      const name = (texts.content[key] ?? texts.content[`q.${q.id}.opt.${o.value}`]).trim();
      const radio = page.getByRole('radio', { name, exact: true });
      assert.equal(await radio.getAttribute('value'), o.value, `${l.code}: "${name}" names option ${o.value}`);
    }
    // Filled steps start where the line starts: at the left in ltr, at the right in rtl.
    const one = pics.find((p) => p.value === '1').steps;
    const first = one.find((s) => s.filled).x;
    const others = one.filter((s) => !s.filled).map((s) => s.x);
    if (l.dir === 'rtl') assert.ok(others.every((x) => x < first), `${l.code}: the first step is at the right`);
    else assert.ok(others.every((x) => x > first), `${l.code}: the first step is at the left`);
    // Keyboard: focus the first option, arrow down to the second.
    await page.locator(`main input[name="${q.id}"][value="1"]`).focus();
    await page.keyboard.press('Space');
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.locator(`main input[name="${q.id}"]:checked`).getAttribute('value'), '2', `${l.code}: ArrowDown picks the next step`);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  }
});

test('forced colours (Windows high contrast): the steps in the system\'s text colour, filled and empty still apart', async () => {
  const page = await phonePage(browser, 'nb-NO');
  await page.emulateMedia({ forcedColors: 'active' });
  await openScale(page, 'nb', 'agree');
  const colours = await page.locator('main svg.scale-pic').evaluateAll((svgs) => svgs.map((s) => getComputedStyle(s).color));
  const text = await page.locator('main h1').evaluate((h) => getComputedStyle(h).color);
  assert.ok(colours.length === 6 && colours.every((c) => c === text), `${colours} against ${text}`);
  const fills = await page.locator('main svg.scale-pic').nth(2).locator('rect').evaluateAll((rs) => rs.map((r) => getComputedStyle(r).fill));
  assert.equal(new Set(fills).size, 2, `filled steps are filled, the others outlined: ${fills}`);
  await page.context().close();
});
