// The survey page for `make bench`: its first load in Chromium at phone size
// (every response until the start screen is ready, each gzip-compressed at
// level 9 as a CDN serves it, fonts and bitmaps as they are, grouped by kind), what each extra language adds
// (its UI strings and its question texts), and Lighthouse's mobile performance
// and accessibility scores, all offline against a local stack.
// Usage: tests/with-local-stack.sh node tests/bench/page.mjs OUT.json
import { chromium } from 'playwright-core';
import { gzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const BASE = process.env.BASE_URL;
const out = process.argv[2];
if (!BASE || !out) throw new Error('usage: BASE_URL=... node tests/bench/page.mjs OUT.json');
const here = dirname(fileURLToPath(import.meta.url));
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;

const kindOf = (url, type) => {
  const path = new URL(url).pathname;
  if (path.endsWith('.html') || path.endsWith('/')) return 'HTML';
  if (path.endsWith('.css')) return 'CSS';
  if (path.endsWith('.js')) return 'JS';
  if (path.includes('/i18n/') || path.endsWith('.json')) return 'strings and config';
  if (/\.(woff2?|ttf|otf)$/.test(path)) return 'fonts';
  return type === 'image' || path.endsWith('.svg') ? 'images' : 'other';
};

console.error('  first load in Chromium at 360×740');
const browser = await chromium.launch({ executablePath: chromiumPath, args: flags });
const context = await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, locale: 'nb-NO' });
const page = await context.newPage();
const files = [];
// Each response's body is read as it comes; all are awaited before the browser
// closes, so that a late one (the audio manifest) is counted in every run.
const reading = [];
page.on('response', (response) => reading.push((async () => {
  try {
    const body = await response.body();
    const path = new URL(response.url()).pathname;
    // Fonts and bitmaps are compressed already: a CDN sends them as they are.
    const packed = /\.(woff2?|png|jpe?g|webp)$/.test(path);
    files.push({ path, kind: kindOf(response.url(), response.request().resourceType()), raw: body.length, gz: packed ? body.length : gz(body) });
  } catch { /* redirects have no body */ }
})()));
await page.goto(`${BASE}/`, { waitUntil: 'networkidle' });
await page.getByRole('textbox').first().waitFor();
await Promise.all(reading);
await browser.close();

const kinds = {};
for (const f of files) {
  const k = (kinds[f.kind] ??= { files: 0, raw: 0, gz: 0 });
  k.files += 1; k.raw += f.raw; k.gz += f.gz;
}

console.error('  what each extra language adds');
const fetchGz = async (path) => {
  const response = await fetch(BASE + path);
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return gz(Buffer.from(await response.arrayBuffer()));
};
const catalogue = JSON.parse(readFileSync(join(here, '../../static-site/i18n/languages.json'), 'utf8'));
const codes = (Array.isArray(catalogue) ? catalogue : catalogue.languages ?? Object.keys(catalogue))
  .map((l) => (typeof l === 'string' ? l : l.code));
const wave = await (await fetch(`${BASE}/api/surveys/local`)).json();
const offered = (wave.languages ?? []).map((l) => (typeof l === 'string' ? l : l.code));
const languages = [];
// The first load is in Norwegian bokmål; every other language the wave offers is extra.
for (const code of codes.filter((c) => c !== 'nb' && offered.includes(c))) {
  const ui = await fetchGz(`/i18n/${code}.json`);
  const questions = await fetchGz(`/content/local/i18n/${code}.json`);
  languages.push({ code, ui, questions, gz: ui + questions });
}

console.error('  Lighthouse, mobile, in headless Chromium');
const dir = mkdtempSync(join(tmpdir(), 'lighthouse-'));
try {
  execFileSync(join(here, 'node_modules/.bin/lighthouse'), [`${BASE}/`,
    `--chrome-flags=${flags.join(' ')}`, '--only-categories=performance,accessibility',
    '--form-factor=mobile', '--output=json', `--output-path=${join(dir, 'report.json')}`, '--quiet'],
  { env: { ...process.env, CHROME_PATH: chromiumPath }, stdio: ['ignore', 'ignore', 'inherit'] });
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
  const lighthouse = {
    version: report.lighthouseVersion,
    performance: Math.round(report.categories.performance.score * 100),
    accessibility: Math.round(report.categories.accessibility.score * 100),
    metrics: Object.fromEntries(['first-contentful-paint', 'largest-contentful-paint', 'total-blocking-time', 'cumulative-layout-shift', 'speed-index']
      .map((id) => [id, report.audits[id]?.displayValue])),
    failed_accessibility: report.categories.accessibility.auditRefs
      .filter((r) => r.weight > 0 && report.audits[r.id].score !== null && report.audits[r.id].score < 1).map((r) => r.id),
  };
  writeFileSync(out, JSON.stringify({ files, kinds, languages, lighthouse }, null, 2));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.error(`  page figures written to ${out}`);
