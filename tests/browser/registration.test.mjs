// Tests of the registration form (/registrer/), the e-mail verification page
// (/registrer/bekreft/) and the approval page (/registrer/godkjenn/) in
// headless Chromium, plus the form's pure rules.
//
// Env (set by tests/with-local-stack.sh):
//   BASE_URL          the running stack, e.g. http://127.0.0.1:8080
//   AWS_ENDPOINT_URL  the local AWS (moto); sent e-mails are read from
//                     {AWS_ENDPOINT_URL}/moto-api/data.json (they leave through
//                     a queue, so they arrive a moment after the request)
//   SURVEY_ADMIN      the admin CLI, to allow a unit's e-mail domain
//   CHROMIUM          the browser (default /usr/bin/chromium)
//
// Texts are read from the site's own string files, so the tests find things
// by the names a person sees. Every page is served with a strict CSP
// (script-src 'self'; style-src 'self') and must log no error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import {
  fold, indexUnits, searchUnits, exactUnit, validate, checkEmail, checkName, checkPhone, checkExpected, serverErrorKey,
} from '../../static-site/registrer/logic.js';
import { assertAccessible } from './pages.mjs';

const BASE = (process.env.BASE_URL || 'http://127.0.0.1:8080').replace(/\/$/, '');
const AWS = (process.env.AWS_ENDPOINT_URL || 'http://127.0.0.1:4566').replace(/\/$/, '');
const SURVEY = 'local';
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";


let browser;
let S; // nb strings of /registrer/ and its link pages

const fill = (s, vars) => s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? vars[k] : m));

async function newPage(opts = {}) {
  const ctx = await browser.newContext({ locale: 'nb-NO', viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, ...opts });
  // Serve every page with the production CSP: inline scripts or styles would be refused and logged.
  await ctx.route('**/*', async (route) => {
    if (route.request().resourceType() !== 'document') return route.fallback();
    const res = await route.fetch();
    await route.fulfill({ response: res, headers: { ...res.headers(), 'content-security-policy': CSP } });
  });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error' && !/status of (4\d\d|5\d\d)/.test(m.text())) errors.push(m.text()); });
  page.errors = errors;
  return page;
}

async function done(page) {
  assert.deepEqual(page.errors, [], 'no errors or CSP violations in the page');
  assert.equal(await page.locator('[style]').count(), 0, 'no style attributes');
  await page.context().close();
}

const focused = (page) => page.evaluate(() => {
  const a = document.activeElement;
  return a ? { id: a.id, tag: a.tagName, cls: a.className, text: a.textContent.trim(), href: a.getAttribute('href') } : null;
});

// Presses Tab until the element matching selector has focus.
async function tabTo(page, selector, max = 40) {
  for (let i = 0; i < max; i++) {
    if (await page.evaluate((s) => !!document.activeElement?.matches(s), selector)) return;
    await page.keyboard.press('Tab');
  }
  assert.fail(`Tab never reached ${selector}`);
}

// The text of the elements an element's aria-describedby points at.
const description = (page, selector) => page.evaluate((s) => {
  const e = document.querySelector(s);
  return (e.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean)
    .map((id) => document.getElementById(id)?.textContent.trim() || '').join(' | ');
}, selector);

async function waitHeading(page, text) {
  await page.waitForFunction((t) => document.querySelector('h1')?.textContent.trim() === t, text, { timeout: 10000 });
}

const noHorizontalScroll = (page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

async function openForm(page, query = '') {
  await page.goto(`${BASE}/registrer/${query}`);
  await page.getByRole('combobox').waitFor({ timeout: 10000 });
}

// ---------- sent e-mail, from the local SES (moto) ----------

function decodeMime(raw) {
  let text = raw.replace(/=\r?\n/g, '');
  text = text.replace(/(?:=[0-9A-F]{2})+/g, (m) => {
    try { return Buffer.from(m.replace(/=/g, ''), 'hex').toString('utf8'); } catch { return m; }
  });
  const parts = [...raw.matchAll(/content-transfer-encoding:\s*base64\s*\r?\n(?:[^\r\n]+\r?\n)*\r?\n([A-Za-z0-9+/=\r\n]+)/gi)];
  for (const p of parts) text += '\n' + Buffer.from(p[1].replace(/\s+/g, ''), 'base64').toString('utf8');
  return text;
}
const entities = (s) => s.replace(/&amp;/g, '&').replace(/&#x2F;/gi, '/').replace(/&#47;/g, '/').replace(/&#61;/g, '=').replace(/&quot;/g, '"');
const recipients = (d) => (Array.isArray(d) ? d : Object.values(d || {}).flat()).map((x) => String(x).toLowerCase());

// moto builds data.json from its live state and answers with an HTML error
// page when a request changes it at that moment: a few such answers are retried.
async function motoData() {
  for (let attempt = 1; ; attempt++) {
    const r = await fetch(`${AWS}/moto-api/data.json`);
    const body = await r.text();
    try { if (r.ok) return JSON.parse(body); } catch { /* an error page, not JSON */ }
    if (attempt === 5) assert.fail(`moto-api/data.json failed 5 times (last: ${r.status} ${body.slice(0, 80)})`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function sentMail() {
  const data = await motoData();
  const out = [];
  for (const svc of ['ses', 'sesv2']) {
    for (const m of data[svc]?.Message || []) out.push({ id: m.id, to: recipients(m.destinations), subject: m.subject || '', text: entities(String(m.body || '')) });
    for (const m of data[svc]?.RawMessage || []) {
      const raw = String(m.raw_data || '');
      out.push({ id: m.id, to: recipients(m.destinations).concat(/^to:.*$/im.exec(raw)?.[0].toLowerCase() || []), subject: /^subject:(.*)$/im.exec(raw)?.[1].trim() || '', text: entities(decodeMime(raw)) });
    }
  }
  return out;
}

async function waitForMail(to, pred, what) {
  const until = Date.now() + 20000;
  for (;;) {
    const hit = (await sentMail()).find((m) => m.to.some((x) => x.includes(to.toLowerCase())) && pred(m));
    if (hit) return hit;
    if (Date.now() > until) assert.fail(`no ${what} e-mail to ${to} in ${AWS}/moto-api/data.json`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

// The single-use link to `path` (e.g. /registrer/bekreft/) in a mail, pointing to this stack.
function linkIn(mail, path) {
  const url = new RegExp(`https?://[^\\s"'<>]+${path.replace(/\//g, '\\/')}\\?token=[A-Za-z0-9_\\-.~%]+`).exec(mail.text)?.[0];
  assert.ok(url, `a link to ${path} in "${mail.subject}"`);
  assert.ok(url.startsWith(`${BASE}${path}?token=`), `${url} points to ${BASE}`);
  return url;
}

// Addresses in `domain` need no approval for `unit`.
async function allowDomain(unit, domain) {
  await promisify(execFile)(process.env.SURVEY_ADMIN, ['domain', 'allow', '--survey', SURVEY, '--unit', unit, '--domain', domain]);
}

async function register(unit, contacts) {
  const r = await fetch(`${BASE}/api/registrations`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ survey_id: SURVEY, unit, contacts }),
  });
  assert.equal(r.status, 202, `registration of ${unit}`);
}


// Counts the calls a page makes to an API path.
function countCalls(page, path) {
  const calls = [];
  page.on('request', (r) => { if (r.url().includes(path)) calls.push(r.url()); });
  return calls;
}

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const r = await fetch(`${BASE}/registrer/i18n/nb.json`);
  assert.equal(r.status, 200);
  S = (await r.json()).strings;
});

after(async () => {
  await browser?.close();
});

// ---------- the form's rules (no browser) ----------

test('unit search folds case and diacritics and finds numbers', () => {
  const idx = indexUnits([
    { number: '5501', name: 'Tromsø', county: 'Troms' },
    { number: '1507', name: 'Ålesund', county: 'Møre og Romsdal' },
    { number: '3201', name: 'Bærum', county: 'Akershus' },
    { number: '4601', name: 'Bergen', county: 'Vestland' },
    { number: '0301', name: 'Oslo - Oslove', county: 'Oslo' },
    { number: '030104', name: 'St. Hanshaugen', county: 'Oslo' },
    { number: '030102', name: 'Grünerløkka', county: 'Oslo' },
    { number: '3419', name: 'Våler (Innlandet)', county: 'Innlandet' },
    { number: '3114', name: 'Våler (Østfold)', county: 'Østfold' },
    { number: '5503', name: 'Harstad - Hárstták', county: 'Troms' },
  ]);
  const first = (q) => searchUnits(idx, q)[0]?.number;
  assert.equal(fold('Tromsø'), 'tromso');
  assert.equal(first('tromso'), '5501');
  assert.equal(first('TROMSØ'), '5501');
  assert.equal(first('tromsoe'), '5501');
  assert.equal(first('aalesund'), '1507');
  assert.equal(first('alesund'), '1507');
  assert.equal(first('baerum'), '3201');
  assert.equal(first('hanshaugen'), '030104');
  assert.equal(first('grunerlokka'), '030102');
  assert.equal(first('harsttak'), '5503');
  assert.equal(first('4601'), '4601');
  assert.deepEqual(searchUnits(idx, '0301').map((u) => u.number), ['0301', '030102', '030104']);
  assert.deepEqual(searchUnits(idx, 'valer').map((u) => u.number).sort(), ['3114', '3419']);
  assert.equal(searchUnits(idx, 'zzz').length, 0);
  assert.equal(exactUnit(idx, 'bergen')?.number, '4601');
  assert.equal(exactUnit(idx, '5501')?.number, '5501');
  assert.equal(exactUnit(idx, 'berg'), null);
});

test('validation mirrors the server (shared/domain/src/contact.rs)', () => {
  for (const good of ['kari@bergen.kommune.no', ' Kari@Bergen.Kommune.NO ', 'a.b+c@x-y.no', 'ola@tromsø.no']) assert.equal(checkEmail(good), null, good);
  for (const bad of ['kari', 'kari@', '@x.no', 'kari@no', 'kari@x..no', 'ka ri@x.no', 'kari@x.no>', 'a\r\nBcc: x@y.no@x.no', 'kari@.x.no', 'kari@x.no.']) {
    assert.equal(checkEmail(bad), 'email.invalid', JSON.stringify(bad));
  }
  assert.equal(checkEmail('  '), 'email.required');
  for (const good of ['99999999', '+47 999 99 999', '0047 99999999', '']) assert.equal(checkPhone(good), null, good);
  for (const bad of ['1234567', '+47 99 99 99 99 99 99 99', '99-99-99-99', '9999 999a', '47+99999999']) assert.equal(checkPhone(bad), 'phone.invalid', bad);
  assert.equal(checkName('  Kari   Nordmann '), null);
  assert.equal(checkName('   '), 'name.required');
  assert.equal(checkName('x'.repeat(100)), null);
  assert.equal(checkName('x'.repeat(101)), 'name.invalid');
  assert.deepEqual(checkExpected(''), [null, undefined]);
  assert.deepEqual(checkExpected('1 200'), [null, 1200]);
  for (const bad of ['0', '10001', '1.5', '-3', 'ti']) assert.equal(checkExpected(bad)[0], 'expected.invalid', bad);

  const unit = { number: '4601', name: 'Bergen' };
  const ok = validate({ surveyId: 'local', unit, contacts: [{ name: ' Kari  N ', email: 'kari@x.no ', phone: '' }], expected: '25' });
  assert.deepEqual(ok.errors, []);
  assert.deepEqual(ok.body, { survey_id: 'local', unit: '4601', contacts: [{ name: 'Kari N', email: 'kari@x.no' }], expected_participants: 25 });
  const dup = validate({ surveyId: 'local', unit: null, contacts: [{ name: 'A', email: 'a@x.no' }, { name: '', email: 'A@X.NO', phone: '12' }], expected: '0' });
  assert.deepEqual(dup.errors.map((e) => `${e.field} ${e.key}`), [
    '/unit unit.required', '/contacts/1/name name.required', '/contacts/1/email email.duplicate',
    '/contacts/1/phone phone.invalid', '/expected_participants expected.invalid',
  ]);
  assert.equal(serverErrorKey('too_many_contacts', 400), 'too_many_contacts');
  assert.equal(serverErrorKey('whatever', 503), 'server');
  assert.equal(serverErrorKey('whatever', 429), 'rate_limited');
});

// ---------- the pages ----------

test('the unit list holds the 357 municipalities and 15 Oslo districts', async () => {
  const r = await fetch(`${BASE}/api/units`);
  assert.equal(r.status, 200);
  const units = await r.json();
  assert.equal(units.filter((u) => u.number.length === 4).length, 357);
  assert.equal(units.filter((u) => u.number.length === 6).length, 15);
  const alna = units.find((u) => u.number === '030112');
  assert.equal(alna.name, 'Alna');
  assert.equal(alna.county, 'Oslo');
});

test('keyboard only: register a unit, confirm the e-mail, get a working access code', async () => {
  // IMDi knows Tromsø's domain: a contact there needs no approval.
  await allowDomain('5501', 'tromso.example.org');
  const email = `kari.${Date.now()}@tromso.example.org`;
  const page = await newPage();
  await openForm(page);

  // The unit, by typing part of its name without the ø.
  await tabTo(page, '#unit');
  await page.keyboard.type('tromso');
  await page.waitForSelector('#unit-list [role=option]');
  assert.equal(await page.getAttribute('#unit', 'aria-expanded'), 'true');
  await page.keyboard.press('ArrowDown');
  const active = await page.getAttribute('#unit', 'aria-activedescendant');
  assert.ok(active, 'an option is active');
  assert.match(await page.textContent(`#${active}`), /^Tromsø \(Troms, 5501\)$/);
  assert.equal(await page.getAttribute(`#${active}`, 'aria-selected'), 'true');
  await page.keyboard.press('Enter');
  assert.equal(await page.inputValue('#unit'), 'Tromsø');
  assert.equal(await page.getAttribute('#unit', 'aria-expanded'), 'false');
  assert.match(await description(page, '#unit'), /Tromsø \(5501\), Troms/);

  // One contact with an e-mail address that is not one.
  await page.keyboard.press('Tab');
  assert.equal((await focused(page)).id, 'contact-0-name');
  await page.keyboard.type('Kari Nordmann');
  await page.keyboard.press('Tab');
  assert.equal((await focused(page)).id, 'contact-0-email');
  await page.keyboard.type(email.replace('@', '.'));
  await tabTo(page, 'button[type=submit]');
  await page.keyboard.press('Enter');

  // The error summary gets focus; the field says what is wrong.
  await page.waitForFunction(() => document.activeElement?.classList.contains('err-summary'));
  assert.equal(await page.getAttribute('#contact-0-email', 'aria-invalid'), 'true');
  assert.equal(await description(page, '#contact-0-email'), `${S['reg.err.prefix']} ${S['err.email.invalid']}`);
  assert.equal(await page.getAttribute('#contact-0-name', 'aria-invalid'), null);
  // Its link leads to the field.
  await page.keyboard.press('Tab');
  const link = await focused(page);
  assert.equal(link.href, '#contact-0-email');
  assert.ok(link.text.includes(S['err.email.invalid']));
  await page.keyboard.press('Enter');
  assert.equal((await focused(page)).id, 'contact-0-email');

  // Corrected, and sent with Enter from the field.
  await page.keyboard.press('Control+A');
  await page.keyboard.type(email);
  await page.keyboard.press('Enter');
  await waitHeading(page, S['done.title']);
  assert.equal((await focused(page)).tag, 'H1');
  const body = await page.textContent('main');
  assert.ok(body.includes(S['done.text']), body);
  assert.ok(body.includes(S['done.approval']), body);
  assert.ok(body.includes(fill(S['done.unit'], { unit: 'Tromsø' })));
  assert.ok(body.includes(email));
  assert.ok(await noHorizontalScroll(page));
  await done(page);

  // The verification e-mail links to the verification page.
  const verifyMail = await waitForMail(email, (m) => /\/registrer\/bekreft\/\?token=/.test(m.text), 'verification');
  const url = linkIn(verifyMail, '/registrer/bekreft/');

  // Opening the page spends nothing; the focused Confirm button does.
  const vpage = await newPage();
  const calls = countCalls(vpage, '/api/registrations/verify');
  await vpage.goto(url);
  await vpage.getByRole('button', { name: S['ver.button'], exact: true }).waitFor();
  await vpage.waitForTimeout(300);
  assert.equal(calls.length, 0, 'the token is not spent on page load');
  assert.equal((await focused(vpage)).text, S['ver.button']);
  await vpage.keyboard.press('Enter');
  await waitHeading(vpage, S['ver.ok.title']);
  assert.equal(calls.length, 1);
  assert.ok((await vpage.textContent('main')).includes(fill(S['ver.ok.text'], { unit: 'Tromsø' })));
  assert.ok(!vpage.url().includes('token='), 'the token is dropped from the address bar');
  await done(vpage);

  // The access code arrives by e-mail and is accepted.
  const codeMail = await waitForMail(email, (m) => m.subject.startsWith('Tilgangskode') && /[?&]code=/.test(m.text), 'access code');
  const code = decodeURIComponent(/\/\?code=([0-9A-Za-z%-]+)/.exec(codeMail.text)?.[1] || '');
  assert.ok(code, 'a participant link with the code');
  assert.ok(codeMail.text.includes(`${BASE}/?code=`), 'the participant link points to the site');
  const r = await fetch(`${BASE}/api/codes/validate`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ access_code: code }),
  });
  assert.equal(r.status, 200, `code ${code} is accepted`);
  const v = await r.json();
  assert.equal(v.survey_id, SURVEY);
  assert.equal(v.unit.number, '5501');

  // The classroom sheet linked from the e-mail shows the same code, which
  // travels in the fragment, never to the server.
  const sheet = /https?:\/\/[^\s"'<>]+\/ark\/\?[^\s"'<>#]+#code=[^\s"'<>]+/.exec(codeMail.text)?.[0];
  assert.ok(sheet, 'a link to the classroom sheet');
  assert.ok(!sheet.split('#')[0].includes(code), 'the code is not in the part of the link that is sent');
  const spage = await newPage();
  await spage.goto(sheet);
  await spage.waitForSelector('svg.qr');
  const norm = (c) => c.toUpperCase().replace(/[\s-]/g, '');
  assert.equal(norm(await spage.textContent('#code')), norm(code));
  await done(spage);
});

test('keyboard only: a contact at another domain waits, a verified contact approves, the code follows', async () => {
  const stamp = Date.now();
  const a = `anne.${stamp}@bodo.example.org`; // IMDi knows this domain for Bodø
  const b = `bjorn.${stamp}@elsewhere.example.net`;
  await allowDomain('1804', 'bodo.example.org');

  // A registers and confirms: a verified contact at once.
  await register('1804', [{ name: 'Anne Kontakt', email: a }]);
  const aVerify = linkIn(await waitForMail(a, (m) => m.text.includes('/registrer/bekreft/?token='), 'verification'), '/registrer/bekreft/');
  const aToken = new URL(aVerify).searchParams.get('token');
  const opened = await fetch(`${BASE}/api/registrations/verify?token=${encodeURIComponent(aToken)}`, { headers: { accept: 'application/json' } });
  assert.equal(opened.status, 200);
  assert.equal((await opened.json()).status, 'verified');

  // B registers and confirms by keyboard: the page says someone must approve.
  await register('1804', [{ name: 'Bjørn Ny', email: b }]);
  const bVerify = linkIn(await waitForMail(b, (m) => m.text.includes('/registrer/bekreft/?token='), 'verification'), '/registrer/bekreft/');
  const bpage = await newPage();
  await bpage.goto(bVerify);
  await bpage.getByRole('button', { name: S['ver.button'], exact: true }).waitFor();
  assert.equal((await focused(bpage)).text, S['ver.button']);
  await bpage.keyboard.press('Enter');
  await waitHeading(bpage, S['ver.wait.title']);
  assert.equal((await focused(bpage)).tag, 'H1');
  const waiting = await bpage.textContent('main');
  for (const key of ['ver.wait.text', 'ver.wait.who']) assert.ok(waiting.includes(fill(S[key], { unit: 'Bodø' })), key);
  assert.ok(waiting.includes(S['ver.wait.mail']) && waiting.includes(S['link.close']));
  assert.ok(!waiting.includes(S['ver.ok.text'].split('{unit}')[0]), 'no promise of the code');
  assert.ok(!bpage.url().includes('token='), 'the token is dropped from the address bar');
  assert.ok(await noHorizontalScroll(bpage));
  await assertAccessible(bpage, 'awaiting approval');
  await done(bpage);
  await waitForMail(b, (m) => m.subject.startsWith('Venter på godkjenning'), 'awaiting approval');

  // A gets the approval request; the page spends nothing on load.
  const request = await waitForMail(a, (m) => m.subject.startsWith('Godkjenne ny kontaktperson?'), 'approval request');
  const approveUrl = linkIn(request, '/registrer/godkjenn/');
  const apage = await newPage();
  const calls = countCalls(apage, '/api/registrations/approve');
  await apage.goto(approveUrl);
  const approveButton = apage.getByRole('button', { name: S['appr.button'], exact: true });
  await approveButton.waitFor();
  await waitHeading(apage, S['appr.title']);
  assert.equal(await apage.title(), `${S['appr.title']} – ${S.app_title}`);
  assert.equal((await focused(apage)).text, S['appr.button'], 'the button has focus');
  assert.equal(await description(apage, 'main button'), `${S['appr.text']} | ${S['appr.stranger']} | `);
  await apage.waitForTimeout(300);
  assert.equal(calls.length, 0, 'the token is not spent on page load');
  assert.ok(await noHorizontalScroll(apage));
  await assertAccessible(apage, 'approval page');

  // Shift+Tab and Tab come back to the button; Enter approves.
  await apage.keyboard.press('Shift+Tab');
  await tabTo(apage, 'main button');
  await apage.keyboard.press('Enter');
  await waitHeading(apage, S['appr.ok.title']);
  assert.equal(calls.length, 1);
  const approved = await apage.textContent('main');
  for (const key of ['appr.ok.text', 'appr.ok.told']) assert.ok(approved.includes(fill(S[key], { unit: 'Bodø' })), key);
  assert.ok(!apage.url().includes('token='), 'the token is dropped from the address bar');
  await assertAccessible(apage, 'approved');
  await done(apage);

  // B gets the code; the link is spent.
  await waitForMail(b, (m) => m.subject.startsWith('Tilgangskode') && /[?&]code=/.test(m.text), 'access code');
  const again = await newPage();
  await again.goto(approveUrl);
  await again.getByRole('button', { name: S['appr.button'], exact: true }).click();
  await waitHeading(again, S['link.err.title']);
  assert.ok((await again.textContent('main')).includes(S['appr.err.expired']));
  assert.equal(await again.getByRole('link', { name: S['ver.register'] }).count(), 0, 'an approver is not sent to the form');
  await done(again);
});

test('no horizontal scrolling at 320 px', async () => {
  const page = await newPage({ viewport: { width: 320, height: 640 } });
  await openForm(page);
  assert.ok(await noHorizontalScroll(page), 'form');
  await page.fill('#unit', 'o');
  await page.waitForSelector('#unit-list [role=option]');
  assert.ok(await noHorizontalScroll(page), 'open unit list');
  await page.keyboard.press('Escape');
  for (let i = 0; i < 3; i++) await page.getByRole('button', { name: S['reg.contact.add'] }).click();
  assert.equal(await page.locator('fieldset.contact').count(), 4);
  assert.ok(await page.getByText(S['reg.contact.max']).isVisible());
  assert.equal(await page.getByRole('button', { name: S['reg.contact.add'] }).count(), 0, 'no fifth row');
  await page.fill('#contact-0-email', 'a-very-long-address-without-any-at-sign.example.org');
  await page.getByRole('button', { name: S['reg.submit'] }).click();
  await page.waitForSelector('.err-summary:not([hidden])');
  assert.ok(await noHorizontalScroll(page), 'with errors');
  await page.goto(`${BASE}/registrer/?lang=nn`);
  await page.getByRole('combobox').waitFor();
  assert.ok(await noHorizontalScroll(page), 'nynorsk');
  for (const path of ['bekreft', 'godkjenn']) {
    await page.goto(`${BASE}/registrer/${path}/?token=abc&lang=nn`);
    await page.locator('main button').waitFor();
    assert.ok(await noHorizontalScroll(page), path);
  }
  await page.goto(`${BASE}/ark/?code=ABCD-EFGH-JKM&unit=${encodeURIComponent('Storfjord - Omasvuotna - Omasvuono')}`);
  await page.waitForSelector('svg.qr');
  assert.ok(await noHorizontalScroll(page), 'classroom sheet');
  await done(page);
});

test('server errors land on the right field', async () => {
  const page = await newPage();
  let answer = null;
  const bodies = [];
  await page.route('**/api/registrations', (route) => {
    bodies.push(route.request().postDataJSON());
    return route.fulfill({ status: answer.status, contentType: 'application/json', body: JSON.stringify(answer.body) });
  });
  await openForm(page);
  await page.fill('#unit', 'Bergen');
  await page.keyboard.press('Tab'); // an exact name is taken on leaving the field
  assert.match(await page.textContent('#unit-chosen'), /Bergen \(4601\), Vestland/);
  await page.fill('#contact-0-name', 'Kari Nordmann');
  await page.fill('#contact-0-email', 'kari@bergen.kommune.no');
  await page.getByRole('button', { name: S['reg.contact.add'] }).click();
  assert.equal((await focused(page)).id, 'contact-1-name', 'a new row takes focus');
  await page.fill('#contact-1-name', 'Ola Nordmann');
  await page.fill('#contact-1-email', 'ola@bergen.kommune.no');
  await page.fill('#contact-1-phone', '+47 555 55 555');
  await page.fill('#expected', '120');
  const submit = () => page.getByRole('button', { name: S['reg.submit'] }).click();

  // More than 4 contacts in all for the unit: said at the contact persons.
  answer = { status: 400, body: { error: { code: 'too_many_contacts', message: 'a unit has at most 4 contacts', field: '/contacts' } } };
  await submit();
  await page.waitForFunction(() => document.activeElement?.classList.contains('err-summary'));
  assert.deepEqual(bodies[0], {
    survey_id: SURVEY, unit: '4601', expected_participants: 120,
    contacts: [{ name: 'Kari Nordmann', email: 'kari@bergen.kommune.no' }, { name: 'Ola Nordmann', email: 'ola@bergen.kommune.no', phone: '+47 555 55 555' }],
  });
  assert.equal(await page.textContent('#contacts-err'), `${S['reg.err.prefix']} ${S['err.too_many_contacts']}`);
  assert.ok((await description(page, 'fieldset.contacts')).includes(S['err.too_many_contacts']));
  assert.equal(await page.getAttribute('.err-summary a', 'href'), '#contact-0-name');
  assert.equal(await page.locator('[aria-invalid=true]').count(), 0);

  // A pointer to one contact's e-mail: on that field only.
  answer = { status: 400, body: { error: { code: 'invalid_email', message: 'not an e-mail address', field: '/contacts/1/email' } } };
  await submit();
  await page.waitForFunction(() => document.querySelector('#contact-1-email')?.getAttribute('aria-invalid') === 'true');
  assert.equal(await page.textContent('#contacts-err'), '', 'the earlier error is gone');
  assert.ok((await description(page, '#contact-1-email')).includes(S['err.email.invalid']));
  assert.equal(await page.getAttribute('#contact-0-email', 'aria-invalid'), null);
  assert.equal(await page.getAttribute('.err-summary a', 'href'), '#contact-1-email');

  // Errors of no field: in the summary.
  for (const [status, code, key] of [[409, 'registration_closed', 'err.registration_closed'], [503, 'unavailable', 'err.server']]) {
    answer = { status, body: { error: { code, message: code } } };
    await submit();
    await page.waitForFunction((t) => document.querySelector('.err-summary')?.textContent.includes(t), S[key]);
    assert.equal(await page.locator('[aria-invalid=true]').count(), 0, code);
  }

  // Removing a row moves focus to the row before and renumbers.
  await page.getByRole('button', { name: fill(S['reg.contact.remove'], { n: 2 }) }).click();
  assert.equal((await focused(page)).id, 'contact-0-name');
  assert.equal(await page.locator('fieldset.contact').count(), 1);

  answer = { status: 202, body: { registration_id: 'r1', status: 'pending_verification' } };
  await submit();
  await waitHeading(page, S['done.title']);
  assert.equal(bodies.at(-1).contacts.length, 1);
  await done(page);
});

test('a rate limit has its own message, with when to try again, in each language; never "something must be fixed"', async () => {
  const page = await newPage();
  let retryAfter = null;
  let calls = 0;
  await page.route('**/api/registrations', (route) => {
    calls++;
    const headers = retryAfter === null ? {} : { 'retry-after': retryAfter };
    return route.fulfill({ status: 429, headers, contentType: 'application/json', body: JSON.stringify({ error: { code: 'rate_limited', message: 'too many attempts' } }) });
  });
  await openForm(page, '?survey=local');
  await page.fill('#unit', 'Bergen');
  await page.keyboard.press('Tab');
  await page.fill('#contact-0-name', 'Kari Nordmann');
  await page.fill('#contact-0-email', 'kari@bergen.kommune.no');
  const submit = () => page.getByRole('button', { name: S['reg.submit'] }).click();
  const notice = page.locator('#rate-notice');
  const en = JSON.parse(await readFile(new URL('../../static-site/registrer/i18n/en.json', import.meta.url), 'utf8')).strings;

  for (const [header, key, vars] of [['600', 'reg.rate.minutes', { n: 10 }], ['61', 'reg.rate.minutes', { n: 2 }], ['45', 'reg.rate.minute'], [null, 'reg.rate.later']]) {
    retryAfter = header;
    await submit();
    await page.waitForFunction(() => document.activeElement?.id === 'rate-notice');
    assert.equal(await notice.locator('h2').textContent(), S['reg.rate.title']);
    assert.equal(await notice.locator('p').first().textContent(), fill(S[key], vars || {}), `Retry-After ${header}`);
    assert.equal(await notice.getAttribute('role'), 'alert');
    assert.equal(await page.locator('.err-summary').isVisible(), false, 'not the error summary');
    assert.equal(await page.getByText(S['reg.summary.title']).isVisible(), false, 'no "something must be fixed"');
    assert.equal(await page.locator('[aria-invalid=true]').count(), 0, 'no field is marked wrong');
    assert.equal(await page.locator('#rate-notice').count(), 1, 'one notice, not one per try');
  }
  assert.equal(calls, 4);
  assert.equal(await page.inputValue('#contact-0-email'), 'kari@bergen.kommune.no', 'what was typed is kept');

  retryAfter = '600';
  await submit();
  await page.waitForFunction(() => document.activeElement?.id === 'rate-notice');
  await page.getByRole('link', { name: 'English' }).click();
  await page.waitForFunction((t) => document.querySelector('#rate-notice h2')?.textContent === t, en['reg.rate.title']);
  assert.equal(await notice.locator('p').first().textContent(), fill(en['reg.rate.minutes'], { n: 10 }));
  await assertAccessible(page, 'the rate-limit notice');
  await done(page);
});

test('the form checks fields before sending anything', async () => {
  const page = await newPage();
  let posted = 0;
  await page.route('**/api/registrations', (route) => { posted++; return route.abort(); });
  await openForm(page);
  await page.fill('#unit', 'Ber');
  await page.keyboard.press('Escape');
  await page.getByRole('button', { name: S['reg.contact.add'] }).click();
  await page.fill('#contact-0-name', 'Kari');
  await page.fill('#contact-0-email', 'kari@x.no');
  await page.fill('#contact-1-email', 'KARI@x.no');
  await page.fill('#contact-1-phone', '123');
  await page.fill('#expected', '10001');
  await page.getByRole('button', { name: S['reg.submit'] }).click();
  await page.waitForSelector('.err-summary:not([hidden])');
  assert.equal(posted, 0);
  const expect = {
    '#unit': 'err.unit.invalid', '#contact-1-name': 'err.name.required', '#contact-1-email': 'err.email.duplicate',
    '#contact-1-phone': 'err.phone.invalid', '#expected': 'err.expected.invalid',
  };
  for (const [sel, key] of Object.entries(expect)) {
    assert.equal(await page.getAttribute(sel, 'aria-invalid'), 'true', sel);
    assert.ok((await description(page, sel)).includes(S[key]), sel);
  }
  assert.equal(await page.locator('.err-summary li').count(), 5);
  // Fixing a field clears its message once it is left.
  await page.fill('#expected', '50');
  await page.keyboard.press('Tab');
  assert.equal(await page.getAttribute('#expected', 'aria-invalid'), null);
  assert.equal(await page.locator('.err-summary li').count(), 4);
  await done(page);
});

test('the language can be switched without losing what was typed', async () => {
  const page = await newPage();
  await openForm(page, '?lang=nn');
  const nn = (await (await fetch(`${BASE}/registrer/i18n/nn.json`)).json()).strings;
  const en = (await (await fetch(`${BASE}/registrer/i18n/en.json`)).json()).strings;
  await waitHeading(page, nn['reg.title']);
  assert.equal(await page.getAttribute('html', 'lang'), 'nn');
  await page.fill('#contact-0-name', 'Kari Nordmann');
  await page.getByRole('link', { name: 'English' }).click();
  await waitHeading(page, en['reg.title']);
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.equal(await page.inputValue('#contact-0-name'), 'Kari Nordmann');
  assert.ok(await page.getByRole('combobox', { name: en['reg.unit.label'] }).isVisible());
  assert.match(page.url(), /[?&]lang=en\b/);
  assert.equal(await page.getAttribute('.lang-nav a[hreflang=en]', 'aria-current'), 'true');
  await done(page);
});

test('after the deadline the page says registration is closed', async () => {
  const page = await newPage();
  await page.route(`**/api/surveys/${SURVEY}`, async (route) => {
    const res = await route.fetch();
    const wave = await res.json();
    wave.registration_deadline = '2020-01-31T23:00:00Z'; // midnight in Oslo: up to and including 31 January
    await route.fulfill({ response: res, json: wave });
  });
  await page.route('**/api/surveys?registration=open', (route) => route.fulfill({ json: { surveys: [] } }));
  await page.goto(`${BASE}/registrer/`);
  await waitHeading(page, S['reg.closed.title']);
  const text = await page.textContent('main');
  assert.ok(text.includes(fill(S['reg.closed.text'], { date: '31. januar 2020' })), text);
  assert.ok(text.includes(S['reg.closed.contact']));
  assert.equal(await page.locator('form').count(), 0);
  await done(page);
});

// Answers every call to `path` with `answer.status`/`answer.body`, or drops the connection when `answer` is 'network'.
async function fakeApi(page, path) {
  const state = { answer: null, calls: 0 };
  await page.route(`**${path}**`, (route) => {
    state.calls++;
    if (state.answer === 'network') return route.abort();
    return route.fulfill({ status: state.answer.status, contentType: 'application/json', body: JSON.stringify(state.answer.body) });
  });
  return state;
}
const apiError = (status, code) => ({ status, body: { error: { code, message: code } } });
const BODO = { number: '1804', name: 'Bodø', county: 'Nordland' };

test('the verification page: nothing on load, both outcomes, and clear answers to bad links', async () => {
  const page = await newPage();
  const api = await fakeApi(page, '/api/registrations/verify');
  await page.goto(`${BASE}/registrer/bekreft/`);
  await waitHeading(page, S['link.err.title']);
  assert.ok((await page.textContent('main')).includes(S['link.err.missing']));

  // Before the press: no promise of the code.
  await page.goto(`${BASE}/registrer/bekreft/?token=t0k3n`);
  await page.getByRole('button', { name: S['ver.button'], exact: true }).waitFor();
  assert.equal(await description(page, 'main button'), `${S['ver.text']} | `);
  assert.ok(!/tilgangskode/i.test(S['ver.text']));

  // Answers that spend the link: a page that says why, and the way back to the form.
  const final = [
    [apiError(400, 'invalid_token'), 'link.err.title', 'link.err.invalid'],
    [apiError(410, 'invalid_token'), 'link.err.title', 'ver.err.expired'],
    [apiError(409, 'too_many_contacts'), 'link.full.title', 'ver.err.full'],
  ];
  for (const [answer, title, key] of final) {
    api.answer = answer;
    await page.goto(`${BASE}/registrer/bekreft/?token=t0k3n`);
    await page.getByRole('button', { name: S['ver.button'], exact: true }).waitFor();
    assert.equal((await focused(page)).text, S['ver.button']);
    const before = api.calls;
    await page.waitForTimeout(200);
    assert.equal(api.calls, before, 'no call before the press');
    await page.keyboard.press('Enter');
    await waitHeading(page, S[title]);
    assert.ok((await page.textContent('main')).includes(S[key]), key);
    assert.equal(await page.getByRole('link', { name: S['ver.register'] }).count(), 1, key);
    assert.ok(!page.url().includes('token='), key);
  }

  // Too many tries: the button stays for another go.
  api.answer = apiError(429, 'rate_limited');
  await page.goto(`${BASE}/registrer/bekreft/?token=t0k3n`);
  await page.getByRole('button', { name: S['ver.button'], exact: true }).click();
  await page.getByText(S['link.err.rate_limited']).waitFor();
  api.answer = { status: 200, body: { status: 'awaiting_approval', survey_id: SURVEY, unit: BODO } };
  await page.getByRole('button', { name: S['ver.button'], exact: true }).click();
  await waitHeading(page, S['ver.wait.title']);
  assert.ok((await page.textContent('main')).includes(fill(S['ver.wait.who'], { unit: 'Bodø' })));

  api.answer = { status: 200, body: { status: 'verified', survey_id: SURVEY, unit: { number: '030112', name: 'Alna', county: 'Oslo' } } };
  await page.goto(`${BASE}/registrer/bekreft/?token=t0k3n`);
  await page.getByRole('button', { name: S['ver.button'], exact: true }).click();
  await waitHeading(page, S['ver.ok.title']);
  assert.ok((await page.textContent('main')).includes(fill(S['ver.ok.text'], { unit: 'Alna' })));
  await done(page);
});

test('the approval page: nothing on load, every answer said plainly, in each language', async () => {
  const page = await newPage();
  const api = await fakeApi(page, '/api/registrations/approve');
  const button = () => page.getByRole('button', { name: S['appr.button'], exact: true });
  const open = async () => {
    await page.goto(`${BASE}/registrer/godkjenn/?token=t0k3n`);
    await button().waitFor();
    assert.equal((await focused(page)).text, S['appr.button']);
  };

  await page.goto(`${BASE}/registrer/godkjenn/`);
  await waitHeading(page, S['link.err.title']);
  assert.ok((await page.textContent('main')).includes(S['link.err.missing']));
  assert.equal(api.calls, 0);

  // Answers that spend the link: a page that says why; an approver is not sent to the form.
  const final = [
    [apiError(400, 'invalid_token'), 'link.err.title', 'link.err.invalid'],
    [apiError(410, 'invalid_token'), 'link.err.title', 'appr.err.expired'],
    [apiError(409, 'too_many_contacts'), 'link.full.title', 'appr.err.full'],
    [apiError(409, 'not_confirmed'), 'appr.not_confirmed.title', 'appr.err.not_confirmed'],
  ];
  for (const [answer, title, key] of final) {
    api.answer = answer;
    await open();
    await page.waitForTimeout(200);
    assert.equal(api.calls, 0, 'no call before the press');
    await page.keyboard.press('Enter');
    await waitHeading(page, S[title]);
    assert.equal(api.calls, 1);
    api.calls = 0;
    assert.ok((await page.textContent('main')).includes(S[key]), key);
    assert.equal(await page.getByRole('link', { name: S['ver.register'] }).count(), 0, key);
    assert.ok(!page.url().includes('token='), key);
  }

  // Answers that leave the link unspent: said by the button, which stays for another go.
  await open();
  for (const [answer, key] of [[apiError(429, 'rate_limited'), 'link.err.rate_limited'], [apiError(503, 'unavailable'), 'link.err.server'], ['network', 'link.err.network']]) {
    api.answer = answer;
    await button().press('Enter');
    await page.locator('#link-status').getByText(S[key]).waitFor();
    assert.ok(page.url().includes('token='), `${key}: the token is kept for the next try`);
    assert.ok((await description(page, 'main button')).endsWith(S[key]), `${key}: the button's description says it`);
  }
  // The dropped connection is the one error the browser logs.
  const dropped = page.errors.indexOf('Failed to load resource: net::ERR_FAILED');
  assert.ok(dropped >= 0, 'the connection was dropped');
  page.errors.splice(dropped, 1);
  api.answer = { status: 200, body: { status: 'verified', survey_id: SURVEY, unit: BODO } };
  await button().press('Enter');
  await waitHeading(page, S['appr.ok.title']);
  assert.ok((await page.textContent('main')).includes(fill(S['appr.ok.told'], { unit: 'Bodø' })));
  await done(page);

  // Nynorsk and English: the page's language and its own words.
  for (const code of ['nn', 'en']) {
    const L = (await (await fetch(`${BASE}/registrer/i18n/${code}.json`)).json()).strings;
    const p = await newPage();
    await p.goto(`${BASE}/registrer/godkjenn/?token=t0k3n&lang=${code}`);
    await p.getByRole('button', { name: L['appr.button'], exact: true }).waitFor();
    await waitHeading(p, L['appr.title']);
    assert.equal(await p.getAttribute('html', 'lang'), code);
    await done(p);
  }
});

test('the three languages have the same strings, with the same placeholders', async () => {
  const read = async (code) => JSON.parse(await readFile(new URL(`../../static-site/registrer/i18n/${code}.json`, import.meta.url), 'utf8')).strings;
  const nb = await read('nb');
  const vars = (text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join(',');
  for (const code of ['nn', 'en']) {
    const other = await read(code);
    assert.deepEqual(Object.keys(other).sort(), Object.keys(nb).sort(), code);
    for (const [key, text] of Object.entries(nb)) {
      assert.equal(vars(other[key]), vars(text), `${code} ${key}`);
      assert.ok(other[key].trim(), `${code} ${key} is not empty`);
    }
  }
});

// ---------- registration for a named wave (issue 13) ----------

const adminOut = async (...args) => (await promisify(execFile)(process.env.SURVEY_ADMIN, args)).stdout.trim();
const contactsOf = async (survey, unit) => (await adminOut('contact', 'list', '--survey', survey, '--unit', unit)).split('\n').filter(Boolean).map((l) => JSON.parse(l));
const stamp = Date.now().toString(36);
const NEXT = `neste-${stamp}`; // next year's wave, taking registrations while 'local' runs
const SHUT = `stengt-${stamp}`; // a wave whose registration closed on 31 January 2026
let wavesMade = false;
async function makeWaves() {
  if (wavesMade) return;
  await adminOut('survey', 'create', '--survey', NEXT, '--opens', '2027-09-01T00:00:00+02:00', '--closes', '2027-12-01T00:00:00+01:00', '--registration-deadline', '2027-09-15T00:00:00+02:00');
  await adminOut('survey', 'create', '--survey', SHUT, '--opens', '2026-01-01T00:00:00+01:00', '--closes', '2027-03-01T00:00:00+01:00', '--registration-deadline', '2026-02-01T00:00:00+01:00');
  wavesMade = true;
}

async function fillAndSend(page, unit, name, email) {
  await page.fill('#unit', unit);
  await page.keyboard.press('Tab');
  await page.fill('#contact-0-name', name);
  await page.fill('#contact-0-email', email);
  await page.getByRole('button', { name: S['reg.submit'] }).click();
  await waitHeading(page, S['done.title']);
}

test('?survey=S registers for wave S while another runs; the confirmation links the sheet, results and the front door', async () => {
  await makeWaves();
  const page = await newPage();
  await openForm(page, `?survey=${NEXT}`);
  assert.ok((await page.textContent('#wave-chosen')).includes(`«${NEXT}»`), 'the page says which wave');
  assert.ok((await page.textContent('.deadline')).includes('14. september 2027'), 'with that wave\'s deadline');
  assert.equal(await page.locator('input[name=survey_id]').count(), 0, 'a named wave is not a choice');
  await assertAccessible(page, 'the form for a named wave');
  const email = `kari.${stamp}@tromso.kommune.no`;
  await fillAndSend(page, 'Tromsø', 'Kari Nordmann', email);
  assert.deepEqual((await contactsOf(NEXT, '5501')).map((c) => c.email), [email]);
  assert.ok(!(await contactsOf(SURVEY, '5501')).some((c) => c.email === email), 'nothing for the running wave');

  const hrefs = await page.locator('.next-links a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  assert.deepEqual(hrefs, [`/ark/?survey=${NEXT}&lang=nb`, `/resultater/?survey=${NEXT}&unit=5501`, `/kommune/?survey=${NEXT}&lang=nb`]);
  for (const href of hrefs) assert.equal((await fetch(BASE + href)).status, 200, href);
  await assertAccessible(page, 'the confirmation');
  await done(page);
});

test('where several waves take registrations, the contact chooses one', async () => {
  await makeWaves();
  const page = await newPage();
  await openForm(page);
  const choice = page.getByRole('group', { name: S['reg.wave.legend'] });
  await choice.waitFor();
  const ids = await choice.locator('input[type=radio]').evaluateAll((rs) => rs.map((r) => r.value));
  assert.ok(ids.includes(SURVEY) && ids.includes(NEXT), ids.join(','));
  assert.ok(!ids.includes(SHUT), 'a wave past its deadline is not offered');
  assert.equal(await choice.locator('input:checked').getAttribute('value'), SURVEY, 'the current wave is chosen at first');
  await page.getByLabel(new RegExp(`^${NEXT}:`)).check();
  assert.ok((await page.textContent('.deadline')).includes('14. september 2027'));
  assert.equal(new URL(page.url()).searchParams.get('survey'), NEXT, 'the address names the chosen wave');
  await assertAccessible(page, 'the choice of wave');
  const email = `ola.${stamp}@bodo.kommune.no`;
  await fillAndSend(page, 'Bodø', 'Ola Nordmann', email);
  assert.deepEqual((await contactsOf(NEXT, '1804')).map((c) => c.email), [email]);
  await done(page);
});

test('an unknown wave and a wave closed for registration each get a clear message', async () => {
  await makeWaves();
  const page = await newPage();
  await page.goto(`${BASE}/registrer/?survey=finnes-ikke`);
  await waitHeading(page, S['reg.unknown_survey.title']);
  assert.ok((await page.textContent('main')).includes(fill(S['reg.unknown_survey.named'], { survey: 'finnes-ikke' })));
  assert.equal(await page.getByRole('link', { name: S['reg.front_door'] }).getAttribute('href'), '/kommune/?survey=finnes-ikke&lang=nb');

  await page.goto(`${BASE}/registrer/?survey=${SHUT}`);
  await waitHeading(page, fill(S['reg.closed.named'], { survey: SHUT }));
  assert.ok((await page.textContent('main')).includes(fill(S['reg.closed.text'], { date: '31. januar 2026' })));
  assert.equal(await page.locator('form').count(), 0);
  await assertAccessible(page, 'registration closed');
  await done(page);
});
