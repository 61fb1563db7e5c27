// Tests of the classroom sheet (/ark/) and its QR encoder (static-site/ark/qr.js).
// QR codes are decoded with jsQR, independently of the encoder.
//
// Env: BASE_URL (the running stack), CHROMIUM (default /usr/bin/chromium).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import jsQR from 'jsqr';
import { encode } from '../../static-site/ark/qr.js';
import STRINGS from '../../static-site/ark/strings.js';
import { BASE, launch, strictPage } from './pages.mjs';

let browser;

// The code drawn as pixels (with a quiet zone of 4 modules), decoded by jsQR.
function decodeMatrix(qr, scale = 4) {
  const n = (qr.size + 8) * scale;
  const px = new Uint8ClampedArray(n * n * 4).fill(255);
  for (let y = 0; y < qr.size; y++) {
    for (let x = 0; x < qr.size; x++) {
      if (!qr.at(x, y)) continue;
      for (let dy = 0; dy < scale; dy++) {
        for (let dx = 0; dx < scale; dx++) {
          const o = (((y + 4) * scale + dy) * n + (x + 4) * scale + dx) * 4;
          px[o] = px[o + 1] = px[o + 2] = 0;
        }
      }
    }
  }
  return jsQR(px, n, n)?.data ?? null;
}

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

test('the encoder makes readable codes of versions 1 to 10 with every mask', () => {
  const source = 'https://brukerundersokelse.example.no/?code=ABCD-EFGH-JKM&x=/'.repeat(4);
  const seen = new Set();
  // Lengths at both sides of each version's capacity (byte mode, level M).
  for (const len of [1, 14, 15, 26, 27, 42, 43, 62, 63, 84, 85, 106, 107, 122, 123, 152, 153, 180, 181, 213]) {
    const text = source.slice(0, len);
    for (let mask = 0; mask < 8; mask++) {
      const qr = encode(text, { mask });
      assert.equal(qr.size, qr.version * 4 + 17);
      assert.equal(decodeMatrix(qr), text, `length ${len}, version ${qr.version}, mask ${mask}`);
      seen.add(qr.version);
    }
    assert.equal(decodeMatrix(encode(text)), text, `length ${len}, chosen mask`);
  }
  assert.deepEqual([...seen].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  // Capacity edges of level M in byte mode.
  assert.equal(encode('x'.repeat(14)).version, 1);
  assert.equal(encode('x'.repeat(15)).version, 2);
  assert.equal(encode('x'.repeat(122)).version, 7);
  assert.equal(encode('x'.repeat(213)).version, 10);
  assert.throws(() => encode('x'.repeat(214)), RangeError);
  // Text is sent as UTF-8.
  assert.equal(decodeMatrix(encode('https://x.no/?unit=Tromsø&b=Ålesund')), 'https://x.no/?unit=Tromsø&b=Ålesund');
  // Error correction works: a damaged code still reads.
  const qr = encode('https://example.no/?code=ABCD-EFGH-JKM');
  for (let y = qr.size - 4; y < qr.size; y++) for (let x = qr.size - 2; x < qr.size; x++) qr.modules[y * qr.size + x] ^= 1;
  assert.equal(decodeMatrix(qr), 'https://example.no/?code=ABCD-EFGH-JKM');
});

// A wave without coverage.json answers 404 for it, and the sheet then says nothing about sound.
const newPage = (opts = {}) => strictPage(browser, opts, (m) => m.text().includes('status of 404') && m.location().url.endsWith('/audio/coverage.json'));

// Renders the page's SVG on a canvas in a blank page and decodes the pixels.
async function decodeSvg(svgMarkup) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const { w, h, data } = await page.evaluate(async (markup) => {
    const img = new Image();
    // An SVG made in an HTML page serialises without its namespace; a standalone image needs it.
    const xml = markup.includes('xmlns=') ? markup : markup.replace('<svg', '<svg xmlns="http://www.w3.org/2000/svg"');
    img.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(xml);
    await img.decode();
    const size = 300;
    const c = document.createElement('canvas');
    c.width = size;
    c.height = size;
    const g = c.getContext('2d');
    g.fillStyle = '#fff';
    g.fillRect(0, 0, size, size);
    g.drawImage(img, 0, 0, size, size);
    return { w: size, h: size, data: Array.from(g.getImageData(0, 0, size, size).data) };
  }, svgMarkup);
  await ctx.close();
  return jsQR(new Uint8ClampedArray(data), w, h)?.data ?? null;
}

test('the sheet: the QR code decodes to the participant link, and it prints on one A4 page', async () => {
  const page = await newPage();
  const unit = 'Tromsø';
  await page.goto(`${BASE}/ark/?code=ABCD-EFGH-JKM&unit=${encodeURIComponent(unit)}`);
  await page.waitForSelector('svg.qr');
  const link = `${BASE}/?code=ABCD-EFGH-JKM`;
  assert.equal(await page.textContent('#link'), link);
  assert.equal(await page.getAttribute('#link', 'href'), link);
  assert.equal(await page.textContent('#code'), 'ABCD-EFGH-JKM');
  assert.equal(await page.textContent('.unit-name'), unit);
  const nb = STRINGS.nb;
  const text = await page.textContent('main');
  for (const k of ['sheet.step.open', 'sheet.step.language', 'ui.intro.anonymous']) {
    assert.ok(text.includes(pageTexts('nb')[k]), k);
    assert.ok(text.includes(pageTexts('en')[k]), k);
  }
  assert.equal(await page.locator('section[lang=en] h2').textContent(), pageTexts('en')['sheet.steps.title']);
  const svg = page.locator('svg.qr');
  assert.equal(await svg.getAttribute('role'), 'img');
  assert.equal(await page.locator('svg.qr title').textContent(), nb['sheet.qr']);
  assert.equal(await page.locator('[style]').count(), 0, 'no style attributes');

  assert.equal(await decodeSvg(await svg.evaluate((e) => e.outerHTML)), link);

  // Print: one A4 page, no buttons.
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.getByRole('button').count(), 0, 'no buttons in print');
  assert.equal(await page.locator('.top').isVisible(), false);
  const pdf = await page.pdf({ format: 'A4', preferCSSPageSize: true });
  const pages = pdf.toString('latin1').match(/\/Type\s*\/Page\b(?!s)/g) || [];
  assert.equal(pages.length, 1, 'fits one A4 page');
  await page.emulateMedia({ media: 'screen' });
  assert.ok(await page.getByRole('button', { name: nb['sheet.print'] }).isVisible());
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('the sheet in nynorsk and English; without a code it asks for one', async () => {
  const page = await newPage();
  await page.goto(`${BASE}/ark/?code=abcd-efgh-jkm&lang=nn`);
  await page.waitForSelector('svg.qr');
  assert.equal(await page.textContent('#code'), 'ABCD-EFGH-JKM');
  assert.equal(await page.locator('section[lang=nn] h2').textContent(), pageTexts('nn')['sheet.steps.title']);
  await page.getByRole('link', { name: 'English' }).click();
  await page.getByRole('button', { name: STRINGS.en['sheet.print'] }).waitFor();
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.equal(await page.locator('section[lang=nb] h2').textContent(), pageTexts('nb')['sheet.steps.title']);
  assert.equal(await decodeSvg(await page.locator('svg.qr').evaluate((e) => e.outerHTML)), `${BASE}/?code=ABCD-EFGH-JKM`);

  await page.goto(`${BASE}/ark/`);
  await page.getByText(STRINGS.nb['sheet.missing']).waitFor();
  await page.getByLabel(STRINGS.nb['sheet.form.code']).fill('WXYZ-2345-678');
  await page.getByLabel(STRINGS.nb['sheet.form.unit']).fill('Alna');
  const sent = [];
  page.on('request', (r) => sent.push(r.url()));
  await page.getByRole('button', { name: STRINGS.nb['sheet.form.show'] }).click();
  await page.waitForSelector('svg.qr');
  assert.equal(await page.textContent('#code'), 'WXYZ-2345-678');
  assert.equal(await page.textContent('.unit-name'), 'Alna');
  assert.ok(sent.length && sent.every((u) => !u.includes('WXYZ')), 'the typed code is never sent to the server');
  assert.ok(page.url().endsWith('#code=WXYZ-2345-678'), page.url());

  // An older link with ?code=: the code moves out of the address's query.
  await page.goto(`${BASE}/ark/?code=WXYZ-2345-678&unit=Alna`);
  await page.waitForSelector('svg.qr');
  assert.equal(new URL(page.url()).searchParams.get('code'), null);
  assert.ok(page.url().endsWith('#code=WXYZ-2345-678'), page.url());

  await page.goto(`${BASE}/ark/?code=${encodeURIComponent('<script>')}`);
  await page.getByText(STRINGS.nb['sheet.bad_code']).waitFor();
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

// The page's texts of a language, as the repository has them.
const pageTexts = (lang) => JSON.parse(readFileSync(new URL(`../../static-site/i18n/${lang}.json`, import.meta.url), 'utf8')).strings;

test('the invitation: in the language picked, the SMS and the e-mail carry the link and code, ready to copy', async () => {
  const page = await newPage();
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE });
  await page.goto(`${BASE}/ark/?code=abcd-efgh-jkm`);
  const link = `${BASE}/?code=ABCD-EFGH-JKM`;
  const filled = (text) => text.replaceAll('{link}', link).replaceAll('{code}', 'ABCD-EFGH-JKM');
  const shows = (lang) => page.waitForFunction((l) => document.getElementById('invite-sms')?.lang === l && document.getElementById('invite-sms').value, lang);

  await shows('nb');
  const nb = pageTexts('nb');
  assert.equal(await page.inputValue('#invite-sms'), filled(nb['invite.sms']));
  assert.equal(await page.inputValue('#invite-subject'), nb['invite.email.subject']);
  assert.equal(await page.inputValue('#invite-email'), filled(nb['invite.email.body']));
  assert.equal(await page.locator('#invite-lang option').count(), JSON.parse(readFileSync(new URL('../../static-site/i18n/languages.json', import.meta.url), 'utf8')).length);

  await page.getByLabel(STRINGS.nb['sheet.invite.lang']).selectOption('ar');
  await shows('ar');
  const ar = pageTexts('ar');
  const sms = await page.inputValue('#invite-sms');
  assert.equal(sms, filled(ar['invite.sms']));
  assert.ok(sms.includes(link) && sms.includes('ABCD-EFGH-JKM'));
  assert.equal(await page.getAttribute('#invite-sms', 'dir'), 'rtl');
  assert.equal(await page.inputValue('#invite-email'), filled(ar['invite.email.body']));
  const mailto = new URL(await page.getAttribute('#invite-mailto', 'href'));
  assert.equal(mailto.searchParams.get('subject'), ar['invite.email.subject']);
  assert.equal(mailto.searchParams.get('body'), filled(ar['invite.email.body']));

  await page.getByRole('button', { name: STRINGS.nb['sheet.invite.copy_sms'] }).click();
  await page.getByText(STRINGS.nb['sheet.invite.copied']).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), sms);

  // The page in English keeps the message's language; the invitation is not printed.
  await page.getByRole('link', { name: 'English' }).click();
  await page.getByRole('button', { name: STRINGS.en['sheet.invite.copy_email'] }).waitFor();
  await shows('ar');
  assert.equal(await page.inputValue('#invite-lang'), 'ar');
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.locator('#invite-sms').isVisible(), false);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

// ---------- issue 13: last day, every language, the title on a phone, sound ----------

const AWS = process.env.AWS_ENDPOINT_URL;
const admin = (...args) => execFileSync(process.env.SURVEY_ADMIN, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
const LANGS = JSON.parse(readFileSync(new URL('../../static-site/i18n/languages.json', import.meta.url), 'utf8'));
const STEP_KEYS = ['sheet.steps.title', 'sheet.step.open', 'sheet.step.language', 'ui.intro.anonymous'];

// A wave of its own, closing at midnight in Oslo on 1 June 2027 (so 31 May is the last day).
const WAVE = 'ark-' + Date.now().toString(36);
let waveMade = false;
function wave() {
  if (!waveMade) {
    admin('survey', 'create', '--survey', WAVE, '--opens', '2026-11-01T00:00:00+01:00', '--closes', '2027-06-01T00:00:00+02:00',
      '--registration-deadline', '2026-11-01T00:00:00+01:00'); // takes no registrations: /registrer/ offers it to nobody
    waveMade = true;
  }
  return WAVE;
}

// coverage.json in the content bucket, as the audio tooling writes it, or
// none at all (moto checks no signatures, but wants the header for a DELETE).
async function putCoverage(survey, languages) {
  const url = `${AWS}/survey-content/content/${survey}/audio/coverage.json`;
  const headers = { authorization: 'AWS4-HMAC-SHA256 Credential=test/20260101/eu-north-1/s3/aws4_request, SignedHeaders=host, Signature=0', 'content-type': 'application/json' };
  const res = languages
    ? await fetch(url, { method: 'PUT', headers, body: JSON.stringify({ survey_id: survey, languages }) })
    : await fetch(url, { method: 'DELETE', headers });
  assert.ok(res.ok, `coverage.json: ${res.status}`);
}

const sheetUrl = (survey, extra = '') => `${BASE}/ark/?survey=${survey}&unit=Troms%C3%B8${extra}#code=ABCD-EFGH-JKM`;

test('the sheet shows the last day to answer, as a Norwegian date in Oslo, and takes the code from the fragment', async () => {
  const survey = wave();
  const page = await newPage();
  const sent = [];
  page.on('request', (r) => sent.push(r.url()));
  await page.goto(sheetUrl(survey));
  await page.waitForSelector('svg.qr');
  assert.equal(await page.textContent('#code'), 'ABCD-EFGH-JKM');
  assert.equal(await page.textContent('#last-day'), '31.05.2027');
  assert.equal(Date.parse(await page.getAttribute('#last-day time', 'datetime')), Date.parse('2027-05-31T22:00:00Z'));
  const label = await page.locator('p.k', { hasText: pageTexts('nb')['sheet.last_day'] }).textContent();
  assert.equal(label, `${pageTexts('nb')['sheet.last_day']} / ${pageTexts('en')['sheet.last_day']}`);
  assert.ok(sent.every((u) => !u.includes('ABCD')), 'the code is never sent to the server');
  await page.context().close();

  // The wave cannot be found: no last day rather than a wrong one.
  const other = await newPage();
  await other.goto(`${BASE}/ark/?survey=no-such-wave#code=ABCD-EFGH-JKM`);
  await other.waitForSelector('svg.qr');
  assert.equal(await other.locator('#last-day').count(), 0);
  assert.deepEqual(other.errors.filter((e) => !e.includes('status of 404')), [], 'only the unknown wave is missing');
  await other.context().close();
});

test('the steps exist in every survey language, each in its own words, never in Norwegian instead', async () => {
  const survey = wave();
  await putCoverage(survey, null);
  const nb = pageTexts('nb');
  const page = await newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(sheetUrl(survey));
  await page.waitForSelector('svg.qr');
  const seconds = LANGS.filter((l) => l.code !== 'nb' && l.code !== 'nn');
  assert.equal(seconds.length, 22);
  assert.equal(await page.locator('#sheet-lang option').count(), seconds.length);
  for (const l of seconds) {
    await page.getByLabel(STRINGS.nb['sheet.lang2']).selectOption(l.code);
    const section = page.locator(`.steps section[lang=${l.code}]`);
    await section.waitFor();
    const own = pageTexts(l.code);
    assert.equal(await section.getAttribute('dir'), l.dir, l.code);
    assert.equal(await section.locator('h2').textContent(), own['sheet.steps.title'], l.code);
    const items = await section.locator('li').allTextContents();
    assert.deepEqual(items, ['sheet.step.open', 'sheet.step.language', 'ui.intro.anonymous'].map((k) => own[k]), l.code);
    for (const k of STEP_KEYS) assert.notEqual(own[k], nb[k], `${l.code} ${k} is not the Norwegian text`);
    assert.equal(await page.locator(`#sheet-title [lang=${l.code}]`).textContent(), own['ui.app_title'], l.code);
    assert.ok(new URL(page.url()).searchParams.get('sheet_lang') === l.code && page.url().endsWith('#code=ABCD-EFGH-JKM'), 'the choice is kept in the address');
  }
  // Nynorsk on the page: the Norwegian half in nynorsk.
  await page.goto(sheetUrl(survey, '&lang=nn&sheet_lang=so'));
  await page.locator('.steps section[lang=nn]').waitFor();
  assert.equal(await page.locator('.steps section[lang=nn] h2').textContent(), pageTexts('nn')['sheet.steps.title']);
  assert.equal(await page.locator('.steps section[lang=so] h2').textContent(), pageTexts('so')['sheet.steps.title']);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

// Words of the element's text that the browser split over two lines.
const brokenWords = (locator) => locator.evaluate((h) => {
  const broken = [];
  const walker = document.createTreeWalker(h, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const re = /\S+/g;
    for (let m = re.exec(node.data); m; m = re.exec(node.data)) {
      const r = document.createRange();
      r.setStart(node, m.index);
      r.setEnd(node, m.index + m[0].length);
      const tops = new Set([...r.getClientRects()].filter((x) => x.width > 0).map((x) => Math.round(x.top)));
      if (tops.size > 1) broken.push(m[0]);
    }
  }
  return { broken, overflow: h.scrollWidth > h.clientWidth };
});

test('the title never breaks inside a word on a phone, in any language', async () => {
  const survey = wave();
  for (const width of [320, 360]) {
    const page = await newPage({ viewport: { width, height: 740 } });
    for (const l of LANGS.filter((x) => x.code !== 'nb' && x.code !== 'nn')) {
      for (const pageLang of l.code === 'en' ? ['nb', 'nn'] : ['nb']) {
        await page.goto(sheetUrl(survey, `&lang=${pageLang}&sheet_lang=${l.code}`));
        await page.locator(`#sheet-title [lang=${l.code}]`).waitFor();
        await page.evaluate(() => document.fonts.ready);
        const { broken, overflow } = await brokenWords(page.locator('#sheet-title'));
        assert.deepEqual(broken, [], `${width} px, ${pageLang} + ${l.code}`);
        assert.equal(overflow, false, `${width} px, ${pageLang} + ${l.code}: the title fits`);
      }
    }
    assert.deepEqual(page.errors, []);
    await page.context().close();
  }
});

test('the sheet says which languages have sound, from coverage.json, and nothing when it is missing', async () => {
  const survey = wave();
  await putCoverage(survey, [
    { lang: 'nb', sound: 'voice', clips: 40, texts: 40 },
    { lang: 'ar', sound: 'voice', clips: 40, texts: 40 },
    { lang: 'prs', sound: 'close_voice', voice: 'fa', clips: 40, texts: 40 },
    { lang: 'ti', sound: 'none', clips: 0, texts: 40 },
  ]);
  const page = await newPage();
  await page.goto(sheetUrl(survey, '&sheet_lang=ti'));
  await page.waitForSelector('#sound-list');
  const name = (code) => LANGS.find((l) => l.code === code).native_name;
  assert.deepEqual(await page.locator('#sound-list li').evaluateAll((lis) => lis.map((li) => li.dataset.lang)), ['nb', 'ar', 'prs']);
  assert.equal(await page.locator('#sound-list li[data-lang=prs]').textContent(), `${name('prs')} (${name('fa')})`);
  assert.equal(await page.locator('#sound-list li[data-lang=ar]').getAttribute('dir'), 'rtl');
  // Tigrinya has no sound: its steps say so and ask for no headphones; bokmål has sound.
  const ti = pageTexts('ti');
  const tiSteps = await page.locator('.steps section[lang=ti] li').allTextContents();
  assert.ok(tiSteps.includes(ti['sheet.step.no_sound']) && !tiSteps.includes(ti['sheet.step.headphones']), tiSteps.join(' | '));
  assert.ok((await page.locator('.steps section[lang=nb] li').allTextContents()).includes(pageTexts('nb')['sheet.step.headphones']));

  // Print still fits one A4 page with the sound list, the last day and a long script.
  await page.emulateMedia({ media: 'print' });
  const pdf = await page.pdf({ format: 'A4', preferCSSPageSize: true });
  assert.equal((pdf.toString('latin1').match(/\/Type\s*\/Page\b(?!s)/g) || []).length, 1, 'fits one A4 page');
  await page.emulateMedia({ media: 'screen' });

  await page.goto(sheetUrl(survey, '&sheet_lang=ar'));
  await page.waitForSelector('#sound-list');
  assert.ok((await page.locator('.steps section[lang=ar] li').allTextContents()).includes(pageTexts('ar')['sheet.step.headphones']));

  // No coverage.json: nothing about sound at all, neither a list nor headphones nor "no sound".
  await putCoverage(survey, null);
  await page.goto(sheetUrl(survey, '&sheet_lang=ti'));
  await page.waitForSelector('svg.qr');
  assert.equal(await page.locator('#sound-list').count(), 0);
  assert.equal(await page.locator('li[data-step="sheet.step.headphones"], li[data-step="sheet.step.no_sound"]').count(), 0);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
