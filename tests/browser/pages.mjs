// What the RTL, font and accessibility tests share: one Chromium, the stack's
// texts in any language, and a driver that answers the survey in any language
// by the questionnaire's option values (no text needs to be known).
import assert from 'node:assert/strict';
import AxeBuilder from '@axe-core/playwright';
import { chromium } from 'playwright-core';

export const BASE = (process.env.BASE_URL || 'http://127.0.0.1:8080').replace(/\/$/, '');
export const CODE = process.env.ACCESS_CODE || '';
export const SURVEY = 'local';

export const launch = () => chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

export async function getJSON(path) {
  const r = await fetch(BASE + path);
  assert.equal(r.status, 200, `GET ${path}`);
  return r.json();
}

// The survey page's languages (code, native_name, dir), in the picker's order.
export const languages = () => getJSON('/i18n/languages.json');

// Every text a participant can meet in lang: UI strings and the wave's question texts.
export async function textsOf(lang) {
  const [ui, content] = await Promise.all([getJSON(`/i18n/${lang}.json`), getJSON(`/content/${SURVEY}/i18n/${lang}.json`)]);
  return { ui: ui.strings, content: content.strings };
}

// A phone-sized page; page.errors collects script errors.
export async function phonePage(browser, lang, opts = {}) {
  const context = await browser.newContext({ locale: lang, viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, ...opts });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  return page;
}

// The production Content-Security-Policy: inline scripts or styles would be refused and logged.
export const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

// A page served with the production CSP; page.errors collects script errors and
// console errors, except those `ignore(message)` accepts.
export async function strictPage(browser, opts = {}, ignore = () => false) {
  const ctx = await browser.newContext({ locale: 'nb-NO', viewport: { width: 360, height: 740 }, ...opts });
  await ctx.route('**/*', async (route) => {
    if (route.request().resourceType() !== 'document') return route.fallback();
    const res = await route.fetch();
    await route.fulfill({ response: res, headers: { ...res.headers(), 'content-security-policy': CSP } });
  });
  const page = await ctx.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error' && !ignore(m)) page.errors.push(m.text()); });
  return page;
}

// Waits until the screen's h1 differs from `old` and returns the new one's text.
export async function nextHeading(page, old) {
  await page.waitForFunction((t) => {
    const h = document.querySelector('main h1');
    return h && h.textContent.trim() !== t;
  }, old, { timeout: 10000 });
  return (await page.locator('main h1').first().textContent()).trim();
}

// Opens the demo in `lang` and goes through its start and intro screens; returns the
// heading of the first question.
export async function openDemo(page, lang) {
  await page.goto(`${BASE}/?lang=${lang}&demo=1`);
  await page.locator('main h1').waitFor();
  let h = (await page.locator('main h1').textContent()).trim();
  await page.locator('main form button[type=submit]').click();
  h = await nextHeading(page, h);
  await page.locator('main .nav .btn.primary').click();
  return nextHeading(page, h);
}

// The answer the driver gives to q: the first option that does not end the
// survey, "yes" where that opens follow-up questions, the first two of a multi.
export function answerFor(q) {
  const ok = q.options.filter((o) => !o.ends_survey && o.value !== 'dont_know' && o.value !== 'none').map((o) => o.value);
  if (q.type === 'multi') return ok.slice(0, 2);
  return ok.includes('yes') ? 'yes' : ok[0];
}

/** The WCAG 2.1 A and AA rules, as axe-core tags them. */
export const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/** axe-core on the page as it is now: no WCAG 2.1 A/AA violation, and its checks did run. */
export async function assertAccessible(page, what) {
  const result = await new AxeBuilder({ page }).withTags(WCAG).analyze();
  const found = result.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  assert.deepEqual(found, [], `axe found WCAG 2.1 AA violations on ${what}`);
  assert.ok(result.passes.length > 10, 'axe ran its checks');
}
