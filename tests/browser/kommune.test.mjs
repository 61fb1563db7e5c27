// The front door for municipalities (/kommune/, issue 13): what the survey is,
// the wave's dates, and links to registration, the classroom sheet, the demo,
// results and help, each carrying the wave, in bokmål, nynorsk and English;
// reached from the survey page's footer. axe finds nothing in any language.
//
// Env (set by tests/with-local-stack.sh): BASE_URL, SURVEY_ADMIN, CHROMIUM.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { assertAccessible, BASE, launch, strictPage } from './pages.mjs';

const texts = (lang) => JSON.parse(readFileSync(new URL(`../../static-site/kommune/i18n/${lang}.json`, import.meta.url), 'utf8')).strings;
const fill = (s, vars) => s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? vars[k] : m));

// A wave of its own with dates at midnight in Oslo, so the page's dates are known.
const WAVE = `kommune-${Date.now().toString(36)}`;
let browser;

before(async () => {
  browser = await launch();
  execFileSync(process.env.SURVEY_ADMIN, ['survey', 'create', '--survey', WAVE, '--opens', '2027-09-01T00:00:00+02:00',
    '--closes', '2027-12-01T00:00:00+01:00', '--registration-deadline', '2027-08-15T00:00:00+02:00'], { stdio: 'ignore' });
});

after(async () => {
  await browser?.close();
});

// A stack started without audio (AUDIO_LANGS="") has no clips: the survey page's 404 for them is not this test's business.
const newPage = (opts = {}) => strictPage(browser, opts, (m) => m.location().url.includes('/audio/'));


// Deadline and close at midnight are inclusive of the day before; the opening is its own day.
const DATES = {
  nb: ['14. august 2027', '1. september 2027', '30. november 2027'],
  nn: ['14. august 2027', '1. september 2027', '30. november 2027'],
  en: ['14 August 2027', '1 September 2027', '30 November 2027'],
};

for (const lang of ['nb', 'nn', 'en']) {
  test(`the front door in ${lang}: the wave's dates and working links that carry the wave`, async () => {
    const S = texts(lang);
    for (const width of [360, 1280]) {
      const page = await newPage({ viewport: { width, height: 900 } });
      await page.goto(`${BASE}/kommune/?survey=${WAVE}&lang=${lang}`);
      await page.getByRole('heading', { level: 1, name: S['front.title'] }).waitFor();
      assert.equal(await page.getAttribute('html', 'lang'), lang);
      assert.equal(await page.textContent('#wave-status'), fill(S['front.status.upcoming'], { survey: WAVE }));
      assert.deepEqual(await page.locator('.dates dd').allTextContents(), DATES[lang]);
      assert.deepEqual(await page.locator('.dates dt').allTextContents(),
        ['front.dates.deadline', 'front.dates.opens', 'front.dates.closes'].map((k) => S[k]));

      const href = (name) => page.getByRole('link', { name: S[name], exact: true }).getAttribute('href');
      assert.equal(await href('front.register.link'), `/registrer/?survey=${WAVE}&lang=${lang}`);
      assert.equal(await href('front.sheet.link'), `/ark/?survey=${WAVE}&lang=${lang}`);
      assert.equal(await href('front.results.link'), `/resultater/?survey=${WAVE}`);
      assert.equal(await href('front.demo.link'), '/?demo=1');
      assert.equal(await href('front.keyfigures.link'), `/nokkeltall/?lang=${lang}`);
      assert.equal(await page.getAttribute('#help-mail', 'href'), 'mailto:post@imdi.no');
      assert.ok((await page.textContent('main')).includes(fill(S['front.results.text'], { n: 10 })));
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), `no sideways scrolling at ${width} px`);
      await assertAccessible(page, `/kommune/ in ${lang} at ${width} px`);

      // The registration link opens the form for this very wave.
      if (width === 360) {
        await page.getByRole('link', { name: S['front.register.link'], exact: true }).click();
        await page.locator('#wave-chosen').waitFor();
        assert.ok((await page.textContent('#wave-chosen')).includes(WAVE));
        const sheet = await fetch(`${BASE}/ark/?survey=${WAVE}`);
        assert.equal(sheet.status, 200);
      }
      assert.deepEqual(page.errors, []);
      await page.context().close();
    }
  });
}

test('a language switch keeps the wave in the links; an unknown wave is said plainly', async () => {
  const page = await newPage();
  await page.goto(`${BASE}/kommune/?survey=${WAVE}`);
  await page.getByRole('heading', { level: 1, name: texts('nb')['front.title'] }).waitFor();
  await page.getByRole('link', { name: 'Nynorsk' }).click();
  const nn = texts('nn');
  await page.getByRole('heading', { level: 1, name: nn['front.title'] }).waitFor();
  assert.equal(await page.getByRole('link', { name: nn['front.register.link'], exact: true }).getAttribute('href'), `/registrer/?survey=${WAVE}&lang=nn`);
  assert.deepEqual(await page.locator('.dates dd').allTextContents(), DATES.nn);

  await page.goto(`${BASE}/kommune/?survey=finnes-ikke`);
  await page.locator('#wave-status').waitFor();
  assert.equal(await page.textContent('#wave-status'), fill(texts('nb')['front.unknown'], { survey: 'finnes-ikke' }));
  assert.equal(await page.locator('.dates').count(), 0, 'no dates rather than wrong ones');
  await assertAccessible(page, 'an unknown wave');
  assert.deepEqual(page.errors.filter((e) => !e.includes('status of 404')), [], 'only the unknown wave is missing');
  await page.context().close();
});

test('the survey page links to the front door, and stays axe-clean', async () => {
  const page = await newPage();
  await page.goto(`${BASE}/`);
  const link = page.getByRole('link', { name: 'For kommuner' });
  await link.waitFor({ state: 'visible' });
  assert.equal(await link.getAttribute('lang'), 'nb');
  await assertAccessible(page, 'the survey page with the link');
  await link.click();
  await page.getByRole('heading', { level: 1, name: texts('nb')['front.title'] }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/kommune/');
  // Without ?survey= the front door shows the configured wave.
  const config = await (await fetch(`${BASE}/config.json`)).json();
  assert.ok((await page.textContent('#wave-status')).includes(`«${config.survey_id}»`));
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
