// Measures the survey page's first load in Chromium at phone size: every
// response until the start screen is ready, with its size gzip-compressed
// (level 9, as a CDN would serve it), grouped by kind. Also what one more
// language adds (its UI strings and question texts), and the web font of each
// language whose script a device may lack. Prints Markdown.
// Run against a local stack: tests/with-local-stack.sh node tests/browser/first-load.mjs
import { chromium } from 'playwright-core';
import { gzipSync } from 'node:zlib';

const BASE = process.env.BASE_URL;
if (!BASE) throw new Error('BASE_URL must be set');

const kindOf = (url, type) => {
  const path = new URL(url).pathname;
  if (path.endsWith('.html') || path.endsWith('/')) return 'HTML';
  if (path.endsWith('.css')) return 'CSS';
  if (path.endsWith('.js')) return 'JS';
  if (path.endsWith('.woff2')) return 'fonts';
  if (path.includes('/i18n/') || path.endsWith('config.json')) return 'strings and config';
  return type === 'image' || path.endsWith('.svg') ? 'images' : 'other';
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const context = await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, locale: 'nb-NO' });
const page = await context.newPage();
const files = [];
page.on('response', async (response) => {
  try {
    const body = await response.body();
    files.push({ url: response.url(), kind: kindOf(response.url(), response.request().resourceType()), raw: body.length, gz: gzipSync(body, { level: 9 }).length });
  } catch { /* redirects have no body */ }
});
await page.goto(`${BASE}/`, { waitUntil: 'networkidle' });
await page.getByRole('textbox').first().waitFor();

const extra = [];
for (const path of ['/i18n/en.json', '/content/local/i18n/en.json']) {
  const body = await (await fetch(BASE + path)).arrayBuffer();
  extra.push({ path, gz: gzipSync(Buffer.from(body), { level: 9 }).length });
}
// The web font a language needs where the device lacks its script (the
// picker's small name subsets are already in the first load above).
const fonts = [];
for (const lang of ['ti', 'am', 'my', 'th', 'ps', 'ur']) {
  const p = await context.newPage();
  let bytes = 0;
  p.on('response', async (r) => {
    const path = new URL(r.url()).pathname;
    if (path.endsWith('.woff2') && !path.includes('/names-')) bytes += (await r.body()).length;
  });
  await p.goto(`${BASE}/?lang=${lang}`, { waitUntil: 'networkidle' });
  await p.close();
  fonts.push(`${lang}: ${(bytes / 1024).toFixed(1)}`);
}
await browser.close();

const kb = (n) => (n / 1024).toFixed(1);
const groups = new Map();
for (const f of files) {
  const g = groups.get(f.kind) ?? { raw: 0, gz: 0, n: 0 };
  g.raw += f.raw; g.gz += f.gz; g.n += 1;
  groups.set(f.kind, g);
}
const total = files.reduce((a, f) => ({ raw: a.raw + f.raw, gz: a.gz + f.gz }), { raw: 0, gz: 0 });
console.log('| first load, by kind | files | raw KB | gzip KB |');
console.log('|---|---:|---:|---:|');
for (const [kind, g] of [...groups].sort()) console.log(`| ${kind} | ${g.n} | ${kb(g.raw)} | ${kb(g.gz)} |`);
console.log(`| **total** | ${files.length} | ${kb(total.raw)} | **${kb(total.gz)}** |`);
console.log('');
console.log(`One more language adds ${kb(extra.reduce((a, e) => a + e.gz, 0))} KB gzip (${extra.map((e) => `${e.path}: ${kb(e.gz)}`).join(', ')}).`);
console.log(`Web fonts fetched for one language (WOFF2, KB): ${fonts.join(', ')}.`);
