// Glyphs in Chromium: every character of every language's texts is drawn with
// a real glyph, never the .notdef box; the subsetted web fonts in
// static-site/fonts/ hold every character of their language's script; and a
// language's font is fetched only for that language.
//
// Three checks:
// - .notdef: each character is drawn on a canvas with the page's own font
//   stack (fonts.css applied for the language) and compared pixel by pixel
//   with unassigned code points, which can only be drawn as .notdef.
// - coverage: each run of Ge'ez, Myanmar, Thai or Arabic letters in a shipped
//   language is put in its own element, and Chromium (DevTools protocol,
//   CSS.getPlatformFontsForNode) must report that only the language's web
//   font drew it. A character missing from the subset falls back to another
//   font and fails the test; regenerate with `make fonts`.
// - the page as drawn: its heading and the picker's names in those scripts
//   come from the web fonts once loaded (DevTools protocol again).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, launch, languages, textsOf, phonePage } from './pages.mjs';

// Languages that ship a web font, and the Unicode blocks it is for (as in shared/fonts/subset-fonts.py).
const SHIPPED = {
  ti: /[\u1200-\u139F\u2D80-\u2DDF\uAB00-\uAB2F]+/gu,
  am: /[\u1200-\u139F\u2D80-\u2DDF\uAB00-\uAB2F]+/gu,
  my: /[\u1000-\u109F\uA9E0-\uA9FF\uAA60-\uAA7F\u200C\u200D]+/gu,
  th: /[\u0E00-\u0E7F]+/gu,
  ps: /[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF\u200C\u200D]+/gu,
  ur: /[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF\u200C\u200D]+/gu,
};

let browser;
let langs;

before(async () => {
  browser = await launch();
  langs = await languages();
});
after(async () => { await browser?.close(); });

const allText = ({ ui, content }) => [...Object.values(ui), ...Object.values(content)].join('\n');

// The characters of text that the page draws as .notdef in its current language.
function boxes(page, text) {
  return page.evaluate(async (s) => {
    const stack = getComputedStyle(document.body).fontFamily;
    const chars = [...new Set(s)].filter((c) => !/[\s\p{Cc}\p{Cf}]/u.test(c));
    await document.fonts.load(`40px ${stack}`, chars.join(''));
    const canvas = document.createElement('canvas');
    canvas.width = 96; canvas.height = 80;
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    ctx.font = `40px ${stack}`;
    const draw = (c) => {
      ctx.clearRect(0, 0, 96, 80);
      ctx.fillText(c, 16, 56);
      return ctx.getImageData(0, 0, 96, 80).data.join(',');
    };
    // Unassigned code points in the Greek, Thai, Ethiopic and NKo blocks and plane 14.
    const notdef = new Set(['\u0378', '\u0E3B', '\u139A', '\u07FB', '\u{E0FFF}'].map(draw));
    return chars.filter((c) => notdef.has(draw(c)));
  }, text);
}

test('every character of every language is drawn with a real glyph, no .notdef boxes', async () => {
  const texts = await Promise.all(langs.map((l) => textsOf(l.code)));
  const names = langs.map((l) => l.native_name).join(' ');
  const context = await browser.newContext();
  const page = await context.newPage();
  const failures = [];
  for (const [i, l] of langs.entries()) {
    await page.goto(`${BASE}/?lang=${l.code}`);
    await page.waitForFunction((c) => document.documentElement.lang === c && document.querySelector('main h1'), l.code);
    const missing = await boxes(page, allText(texts[i]) + names);
    if (missing.length) failures.push(`${l.code}: ${missing.map((c) => `${c} U+${c.codePointAt(0).toString(16).toUpperCase()}`).join(', ')}`);
  }
  await context.close();
  assert.deepEqual(failures, [], 'characters drawn as boxes');
});

test('the web fonts draw the page, and their subsets hold every letter of their language: Chromium draws each run with that font alone', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('DOM.enable');
  await cdp.send('CSS.enable');
  const failures = [];
  const fontsOf = async (selector) => {
    const { root } = await cdp.send('DOM.getDocument', { depth: 0 });
    const { nodeIds } = await cdp.send('DOM.querySelectorAll', { nodeId: root.nodeId, selector });
    return Promise.all(nodeIds.map(async (nodeId) => (await cdp.send('CSS.getPlatformFontsForNode', { nodeId })).fonts));
  };
  // As the page draws them after loading, without help: the heading, and the
  // picker's names in Ge'ez, Myanmar and Thai script.
  for (const lang of ['nb', ...Object.keys(SHIPPED)]) {
    await page.goto(`${BASE}/?lang=${lang}`, { waitUntil: 'networkidle' });
    await page.waitForFunction((c) => document.documentElement.lang === c && document.querySelector('main h1'), lang);
    await page.evaluate(() => document.fonts.ready);
    if (lang !== 'nb') {
      const [h1] = await fontsOf('main h1');
      if (!h1.some((f) => f.isCustomFont)) failures.push(`${lang} heading: ${h1.map((f) => f.familyName)}`);
    }
    for (const code of ['ti', 'am', 'my', 'th']) {
      const [name] = await fontsOf(`label[lang="${code}"] .lang-name`);
      if (!name.every((f) => f.isCustomFont)) failures.push(`${lang} page, name of ${code}: ${name.map((f) => f.familyName)}`);
    }
  }
  for (const [lang, script] of Object.entries(SHIPPED)) {
    await page.goto(`${BASE}/?lang=${lang}`);
    await page.waitForFunction((c) => document.documentElement.lang === c && document.querySelector('main h1'), lang);
    const native = langs.find((l) => l.code === lang).native_name;
    const runs = [...new Set((allText(await textsOf(lang)) + ' ' + native).match(script))];
    assert.ok(runs.length > 10, `${lang} has text in its script`);
    await page.evaluate(async (words) => {
      const probe = document.createElement('div');
      probe.id = 'probe';
      for (const w of words) probe.append(Object.assign(document.createElement('span'), { textContent: w }), ' ');
      document.body.append(probe);
      await document.fonts.load(`16px ${getComputedStyle(document.body).fontFamily}`, words.join(''));
      await document.fonts.ready;
    }, runs);
    const probed = await fontsOf('#probe span');
    assert.equal(probed.length, runs.length);
    for (const [k, fonts] of probed.entries()) {
      if (fonts.length !== 1 || !fonts[0].isCustomFont) failures.push(`${lang} "${runs[k]}": ${fonts.map((f) => f.familyName)}`);
    }
  }
  await context.close();
  assert.deepEqual(failures, [], 'runs not drawn by the language\'s web font alone');
});

test('fonts are fetched only where needed: the start page only the names\' subsets, a language only its own font', async (t) => {
  const fetched = async (lang) => {
    const page = await phonePage(browser, 'nb-NO');
    const files = [];
    page.on('response', async (r) => {
      const m = new URL(r.url()).pathname.match(/^\/fonts\/(.+\.woff2)$/);
      if (m) files.push({ file: m[1], status: r.status(), bytes: (await r.body()).length });
    });
    await page.goto(`${BASE}/?lang=${lang}`, { waitUntil: 'networkidle' });
    await page.waitForFunction((c) => document.documentElement.lang === c, lang);
    await page.context().close();
    for (const f of files) assert.equal(f.status, 200, f.file);
    return files;
  };
  const nb = await fetched('nb');
  assert.ok(nb.every((f) => f.file.startsWith('names-')), `nb fetched ${nb.map((f) => f.file)}`);
  const sizes = [];
  for (const lang of Object.keys(SHIPPED)) {
    const files = await fetched(lang);
    const own = files.filter((f) => !f.file.startsWith('names-'));
    // On a device with the script's system font, local() wins and nothing is fetched.
    assert.ok(own.every((f) => f.file === `${lang}.woff2`), `${lang} fetched ${own.map((f) => f.file)}`);
    sizes.push(`${lang} ${own.reduce((a, f) => a + f.bytes, 0)} B`);
  }
  t.diagnostic(`language fonts fetched: ${sizes.join(', ')}`);
});
