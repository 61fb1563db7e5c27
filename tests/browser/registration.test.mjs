// Tests of the registration form (/registrer/) and the e-mail verification
// page (/registrer/bekreft/) in headless Chromium, plus the form's pure rules.
//
// Env (set by tests/with-local-stack.sh):
//   BASE_URL          the running stack, e.g. http://127.0.0.1:8080
//   AWS_ENDPOINT_URL  the local AWS (moto); sent e-mails are read from
//                     {AWS_ENDPOINT_URL}/moto-api/data.json
//   CHROMIUM          the browser (default /usr/bin/chromium)
//
// Texts are read from the site's own string files, so the tests find things
// by the names a person sees. Every page is served with a strict CSP
// (script-src 'self'; style-src 'self') and must log no error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import {
  fold, indexUnits, searchUnits, exactUnit, validate, checkEmail, checkName, checkPhone, checkExpected, serverErrorKey,
} from '../../static-site/registrer/logic.js';

const BASE = (process.env.BASE_URL || 'http://127.0.0.1:8080').replace(/\/$/, '');
const AWS = (process.env.AWS_ENDPOINT_URL || 'http://127.0.0.1:4566').replace(/\/$/, '');
const SURVEY = 'local';
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

let browser;
let S; // nb strings of /registrer/ and /registrer/bekreft/

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

async function sentMail() {
  const r = await fetch(`${AWS}/moto-api/data.json`);
  assert.equal(r.status, 200, 'moto-api/data.json');
  const data = await r.json();
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
  const email = `kari.${Date.now()}@example.org`;
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
  assert.ok(body.includes(fill(S['done.unit'], { unit: 'Tromsø' })));
  assert.ok(body.includes(email));
  assert.ok(await noHorizontalScroll(page));
  await done(page);

  // The verification e-mail links to the verification page.
  const verifyMail = await waitForMail(email, (m) => /\/registrer\/bekreft\/\?token=/.test(m.text), 'verification');
  const url = /https?:\/\/[^\s"'<>]+\/registrer\/bekreft\/\?token=[A-Za-z0-9_\-.~%]+/.exec(verifyMail.text)?.[0];
  assert.ok(url, 'a verification link');
  assert.ok(url.startsWith(`${BASE}/registrer/bekreft/?token=`), `${url} points to ${BASE}`);

  // Opening the page spends nothing; the focused Confirm button does.
  const vpage = await newPage();
  const calls = [];
  vpage.on('request', (r) => { if (r.url().includes('/api/registrations/verify')) calls.push(r.url()); });
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
  const codeMail = await waitForMail(email, (m) => m.id !== verifyMail.id && /[?&]code=/.test(m.text), 'access code');
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

  // The classroom sheet linked from the e-mail shows the same code.
  const sheet = /https?:\/\/[^\s"'<>]+\/ark\/\?code=[^\s"'<>]+/.exec(codeMail.text)?.[0];
  assert.ok(sheet, 'a link to the classroom sheet');
  const spage = await newPage();
  await spage.goto(sheet);
  await spage.waitForSelector('svg.qr');
  const norm = (c) => c.toUpperCase().replace(/[\s-]/g, '');
  assert.equal(norm(await spage.textContent('#code')), norm(code));
  await done(spage);
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
  await page.goto(`${BASE}/registrer/bekreft/?token=abc&lang=en`);
  await page.getByRole('button').first().waitFor();
  assert.ok(await noHorizontalScroll(page), 'verification page');
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
  for (const [status, code, key] of [[409, 'registration_closed', 'err.registration_closed'], [429, 'rate_limited', 'err.rate_limited'], [503, 'unavailable', 'err.server']]) {
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
  await page.goto(`${BASE}/registrer/`);
  await waitHeading(page, S['reg.closed.title']);
  const text = await page.textContent('main');
  assert.ok(text.includes(fill(S['reg.closed.text'], { date: '31. januar 2020' })), text);
  assert.ok(text.includes(S['reg.closed.contact']));
  assert.equal(await page.locator('form').count(), 0);
  await done(page);
});

test('the verification page: nothing on load, and clear answers to bad links', async () => {
  const page = await newPage();
  let answer = null;
  let calls = 0;
  await page.route('**/api/registrations/verify**', (route) => {
    calls++;
    return route.fulfill({ status: answer.status, contentType: 'application/json', body: JSON.stringify(answer.body) });
  });
  await page.goto(`${BASE}/registrer/bekreft/`);
  await waitHeading(page, S['ver.err.title']);
  assert.ok((await page.textContent('main')).includes(S['ver.err.missing']));

  for (const [status, code, key] of [[400, 'invalid_token', 'ver.err.invalid'], [410, 'invalid_token', 'ver.err.expired']]) {
    answer = { status, body: { error: { code, message: code } } };
    await page.goto(`${BASE}/registrer/bekreft/?token=t0k3n`);
    const button = page.getByRole('button', { name: S['ver.button'], exact: true });
    await button.waitFor();
    assert.equal((await focused(page)).text, S['ver.button']);
    const before = calls;
    await page.waitForTimeout(200);
    assert.equal(calls, before, 'no call before the click');
    await page.keyboard.press('Enter');
    await waitHeading(page, S['ver.err.title']);
    assert.ok((await page.textContent('main')).includes(S[key]), key);
  }

  // Too many tries: the button stays for another go.
  answer = { status: 429, body: { error: { code: 'rate_limited', message: 'slow down' } } };
  await page.goto(`${BASE}/registrer/bekreft/?token=t0k3n`);
  await page.getByRole('button', { name: S['ver.button'], exact: true }).click();
  await page.getByText(S['ver.err.rate_limited']).waitFor();
  answer = { status: 200, body: { status: 'verified', survey_id: SURVEY, unit: { number: '030112', name: 'Alna', county: 'Oslo' } } };
  await page.getByRole('button', { name: S['ver.button'], exact: true }).click();
  await waitHeading(page, S['ver.ok.title']);
  assert.ok((await page.textContent('main')).includes(fill(S['ver.ok.text'], { unit: 'Alna' })));
  await done(page);
});
