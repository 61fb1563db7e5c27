// The IMDi console /admin/ in Chromium with the production CSP, on the local
// stack: signing in (temporary password, a new one, the authenticator app set
// up with codes computed here from the key the page shows; then password and
// code), an operator running a wave (create, approve a contact, watch the count
// rise, remind, aggregate, download the bundle), a reader who can change
// nothing, an expired token, the sign-in and a change by keyboard alone, and
// axe on every view.
//
// Env (set by tests/with-local-stack.sh): BASE_URL, SURVEY_ADMIN, AWS_ENDPOINT_URL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import AxeBuilder from '@axe-core/playwright';
import { admin, answersFor, call, codeIn, mailsTo, subject, tokenIn, ulid } from '../api/support.mjs';
import { freshTotp } from '../totp.mjs';
import { BASE, launch, strictPage } from './pages.mjs';
import { changes, fromOsloLocal, groupKey, otpauthUri, rates, toOsloLocal, totpCode } from '../../static-site/admin/logic.js';

const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const TAG = randomBytes(3).toString('hex');
// A wave made by survey-admin: Bergen with a verified contact, Tromsø's contact
// awaiting approval, and Stavanger approved, expecting 10, with one answer.
const SURVEY = `konsoll-side-${TAG}`;
const ROLES_SURVEY = `konsoll-roller-${TAG}`; // a survey of roles
const CLOSED_ROLES = `konsoll-avsluttet-${TAG}`; // a survey of roles that has closed
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
const newPassword = () => `Nytt-${randomBytes(6).toString('hex')}-Passord1!`;
// Answers the tests provoke (a wrong password, a weak one, a faked 401, a reader's 403) are logged by Chromium as failed loads.
const expectedFailures = (m) => /Failed to load resource: the server responded with a status of (400|401|403)/.test(m.text());

let browser;

before(async () => {
  browser = await launch();
  const now = Date.now();
  admin('survey', 'create', '--survey', SURVEY, '--opens', iso(now - 3600e3), '--closes', iso(now + 30 * 86400e3));
  admin('registration', 'add', '--survey', SURVEY, '--unit', '4601', '--contact', `Berit Bergen <berit-${TAG}@example.org>`);
  await awaitingContact(SURVEY, '5501', { name: 'Tor Tromsø', email: `tor-${TAG}@example.org` });
  const sara = `sara-${TAG}@example.org`;
  await awaitingContact(SURVEY, '1103', { name: 'Sara Stavanger', email: sara }, 10);
  admin('contact', 'approve', '--survey', SURVEY, '--unit', '1103', '--email', sara);
  const code = codeIn((await mailsTo(sara, subject('Tilgangskode')))[0]);
  const questionnaire = (await call('GET', `/api/surveys/${SURVEY}/questionnaire`)).json;
  const answered = await call('POST', '/api/responses', { survey_id: SURVEY, access_code: code, submission_id: ulid(), language: 'nb', answers: answersFor(questionnaire, 1) });
  assert.equal(answered.status, 201, answered.text);
  admin('survey', 'create', '--survey', ROLES_SURVEY, '--definition', 'kommuneundersokelse', '--opens', iso(now - 3600e3), '--closes', iso(now + 30 * 86400e3));
  const dir = mkdtempSync(join(tmpdir(), 'mottakere-'));
  writeFileSync(join(dir, 'm.csv'), `unit,role,name,email\n4601,director,Dina Direktør,dina-${TAG}@example.org\n4601,programme,Per Program,per-${TAG}@example.org\n`);
  admin('recipients', 'import', '--survey', ROLES_SURVEY, '--file', join(dir, 'm.csv'));
  admin('survey', 'create', '--survey', CLOSED_ROLES, '--definition', 'kommuneundersokelse', '--opens', iso(now - 20 * 86400e3), '--closes', iso(now - 3600e3));
});

after(async () => {
  await browser?.close();
});

// A contact from an address outside the municipality's domain: registered
// through the public API, the address proved, now waiting for IMDi's approval.
async function awaitingContact(survey, unit, contact, expected = 12) {
  const registered = await call('POST', '/api/registrations', { survey_id: survey, unit, contacts: [contact], expected_participants: expected });
  assert.equal(registered.status, 202, registered.text);
  const opened = await call('GET', `/api/registrations/verify?token=${tokenIn((await mailsTo(contact.email))[0])}`);
  assert.equal(opened.json.status, 'awaiting_approval');
}

// A console page; page.idToken is the ID token of the last sign-in, read off
// Cognito's answer (the page itself keeps it where no script can reach it).
async function consolePage() {
  const page = await strictPage(browser, { viewport: { width: 1280, height: 900 } }, expectedFailures);
  page.on('response', async (res) => {
    if (!res.url().endsWith('/auth/')) return;
    const body = await res.json().catch(() => null);
    if (body?.AuthenticationResult) page.idToken = body.AuthenticationResult.IdToken;
  });
  return page;
}

const heading = (page, name) => page.getByRole('heading', { level: 1, name }).waitFor();

// A new console user, signed in for the first time on the page: the temporary
// password, a new one, the authenticator app set up from the key on the page.
// `check(step)` runs on the new password's and the app's screens.
async function firstSignIn(page, group, check = async () => {}, { landing = 'Undersøkelser', made = () => {} } = {}) {
  const email = `${group}-${randomBytes(3).toString('hex')}@imdi.no`;
  const temporary = admin('operator', 'add', '--email', email, '--group', group);
  await made(email);
  const password = newPassword();
  await page.goto(`${BASE}/admin/`);
  await page.getByLabel('E-postadresse').fill(email);
  await page.getByLabel('Passord', { exact: true }).fill(temporary);
  await page.getByRole('button', { name: 'Logg inn' }).click();
  await heading(page, 'Velg et nytt passord');
  await check('new password');
  await page.getByLabel('Nytt passord').fill(password);
  await page.getByLabel('Skriv det nye passordet en gang til').fill(password);
  await page.getByRole('button', { name: 'Lagre passordet' }).click();
  await heading(page, 'Sett opp autentiseringsappen');
  await check('authenticator app');
  const key = await page.locator('#totp-key').textContent();
  await page.getByLabel('Sekssifret kode').fill(await freshTotp(key));
  await page.getByRole('button', { name: 'Bekreft og logg inn' }).click();
  if (landing) await heading(page, landing);
  return { email, password, key };
}

// Signing in again: password, then the app's code; `onCodeStep` runs on the code's screen.
async function signInAgain(page, { email, password, key }, onCodeStep = async () => {}) {
  await heading(page, 'Logg inn i IMDi-konsollet');
  await page.getByLabel('E-postadresse').fill(email);
  await page.getByLabel('Passord', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Logg inn' }).click();
  await heading(page, 'Kode fra autentiseringsappen');
  await onCodeStep();
  await page.getByLabel('Sekssifret kode').fill(await freshTotp(key));
  await page.getByRole('button', { name: 'Logg inn' }).click();
}

const loaded = (page) => page.waitForFunction(() => document.querySelector('.panel h2') && !document.querySelector('.panel [aria-busy="true"]'));
const openWave = async (page, survey) => {
  await page.getByRole('link', { name: survey, exact: true }).click();
  await heading(page, `Undersøkelse ${survey}`);
  await loaded(page);
};
const openPart = async (page, name) => {
  await page.getByRole('navigation', { name: 'Deler av undersøkelsen' }).getByRole('link', { name, exact: true }).click();
  await page.getByRole('heading', { level: 2, name, exact: true }).waitFor();
  await loaded(page);
};

async function axe(page, what, found) {
  const result = await new AxeBuilder({ page }).withTags(WCAG).options({ resultTypes: ['violations'] }).analyze();
  for (const v of result.violations) found.push(`${what}: ${v.id} ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
}

test('times in Norway, the authenticator app\'s key and link, rates and the log\'s changes (logic.js)', () => {
  assert.equal(fromOsloLocal('2026-09-01T09:00'), '2026-09-01T09:00:00+02:00', 'summer time');
  assert.equal(fromOsloLocal('2026-12-01T09:00'), '2026-12-01T09:00:00+01:00', 'winter time');
  assert.equal(fromOsloLocal('2026-03-29T03:30'), '2026-03-29T03:30:00+02:00', 'the night clocks go forward');
  assert.equal(fromOsloLocal('2026-10-25T01:30'), '2026-10-25T01:30:00+02:00', 'the night clocks go back, before');
  assert.equal(fromOsloLocal('1.9.2026'), null);
  assert.equal(toOsloLocal('2026-09-01T07:00:00Z'), '2026-09-01T09:00');
  assert.equal(toOsloLocal('2026-12-31T23:30:00Z'), '2027-01-01T00:30');
  assert.equal(toOsloLocal(fromOsloLocal('2027-02-03T04:05')), '2027-02-03T04:05');
  assert.equal(groupKey('jbswy3dpehpk3pxpjbsw'), 'JBSW Y3DP EHPK 3PXP JBSW');
  assert.equal(otpauthUri('kari@imdi.no', 'JBSWY3DP'), 'otpauth://totp/IMDi%20konsoll:kari%40imdi.no?secret=JBSWY3DP&issuer=IMDi%20konsoll');
  assert.deepEqual(['123456', ' 123 456 ', '12345', '12345a'].map(totpCode), ['123456', '123456', null, null]);
  assert.deepEqual(rates([0, 3, 6], 12), [0, 25, 50]);
  assert.deepEqual(rates([1], null), [null]);
  assert.deepEqual(changes({ contact: 'k…@x.no', status: 'awaiting_approval' }, { contact: 'k…@x.no', status: 'verified' }),
    [{ key: 'contact', same: 'k…@x.no' }, { key: 'status', before: 'awaiting_approval', after: 'verified' }]);
});

test('an operator signs in, sets up the app, and runs a wave: create, approve, count, remind, aggregate, download', async () => {
  const page = await consolePage();
  // A wrong password, then a weak new one, are explained.
  const email = `drift-${TAG}@imdi.no`;
  const temporary = admin('operator', 'add', '--email', email, '--group', 'operators');
  await page.goto(`${BASE}/admin/`);
  await heading(page, 'Logg inn i IMDi-konsollet');
  assert.equal(await page.getByLabel('E-postadresse').getAttribute('autocomplete'), 'username');
  assert.equal(await page.getByLabel('Passord', { exact: true }).getAttribute('autocomplete'), 'current-password');
  await page.getByLabel('E-postadresse').fill(email);
  await page.getByLabel('Passord', { exact: true }).fill('feil-passord');
  await page.getByRole('button', { name: 'Logg inn' }).click();
  await page.getByText('E-postadressen eller passordet er feil.').waitFor();
  assert.equal(await page.getByLabel('Passord', { exact: true }).getAttribute('aria-invalid'), 'true');
  await page.getByLabel('Passord', { exact: true }).fill(temporary);
  await page.getByRole('button', { name: 'Logg inn' }).click();
  await heading(page, 'Velg et nytt passord');
  assert.equal(await page.getByLabel('Nytt passord').getAttribute('autocomplete'), 'new-password');
  await page.getByLabel('Nytt passord').fill('kort');
  await page.getByLabel('Skriv det nye passordet en gang til').fill('kort');
  await page.getByRole('button', { name: 'Lagre passordet' }).click();
  await page.getByText('Passordet er ikke sterkt nok. Det må ha minst 14 tegn').waitFor();
  const password = newPassword();
  await page.getByLabel('Nytt passord').fill(password);
  await page.getByLabel('Skriv det nye passordet en gang til').fill(password);
  await page.getByRole('button', { name: 'Lagre passordet' }).click();

  // The authenticator app: the key in groups of four, the otpauth link, a code computed from the key.
  await heading(page, 'Sett opp autentiseringsappen');
  const key = await page.locator('#totp-key').textContent();
  assert.match(key, /^[A-Z2-7]{4}( [A-Z2-7]{1,4})*$/, 'the key in groups of four');
  const link = await page.getByRole('link', { name: 'Åpne i autentiseringsappen på denne maskinen' }).getAttribute('href');
  assert.ok(link.startsWith(`otpauth://totp/IMDi%20konsoll:${encodeURIComponent(email)}?`), link);
  const params = new URLSearchParams(link.split('?')[1]);
  assert.deepEqual([params.get('secret').toUpperCase(), params.get('issuer')], [key.replace(/ /g, ''), 'IMDi konsoll'], 'the link carries the key');
  const code = page.getByLabel('Sekssifret kode');
  assert.deepEqual([await code.getAttribute('inputmode'), await code.getAttribute('autocomplete')], ['numeric', 'one-time-code']);
  await code.fill('12');
  await page.getByRole('button', { name: 'Bekreft og logg inn' }).click();
  await page.getByText('Skriv de seks sifrene appen viser.').waitFor();
  await code.fill(await freshTotp(key));
  await page.getByRole('button', { name: 'Bekreft og logg inn' }).click();
  await heading(page, 'Undersøkelser');
  assert.equal((await page.locator('header').innerText()).replace(/\s+/g, ' ').trim(), `IMDi-konsoll Innlogget som ${email} (operatør) Logg ut`);

  // Signed out, the token is gone; signing in again asks for the app's code.
  await page.getByRole('button', { name: 'Logg ut' }).click();
  await heading(page, 'Logg inn i IMDi-konsollet');
  await page.getByText('Du er logget ut.').waitFor();
  await page.getByLabel('E-postadresse').fill(email);
  await page.getByLabel('Passord', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Logg inn' }).click();
  await heading(page, 'Kode fra autentiseringsappen');
  await page.getByLabel('Sekssifret kode').fill(await freshTotp(key));
  await page.getByRole('button', { name: 'Logg inn' }).click();
  await heading(page, 'Undersøkelser');
  assert.deepEqual(await page.evaluate(() => [localStorage.length, sessionStorage.length, document.cookie]), [0, 0, ''], 'nothing kept in the browser');

  // A new wave, its times given in Norwegian time.
  const survey = `side-${TAG}`;
  await page.getByRole('button', { name: 'Ny undersøkelse' }).click();
  await page.getByLabel('Skjema').selectOption('brukerundersokelse');
  await page.getByLabel('ID for undersøkelsen').fill(survey);
  const opens = toOsloLocal(iso(Date.now() - 3600e3));
  const closes = toOsloLocal(iso(Date.now() + 30 * 86400e3));
  await page.getByLabel('Åpner').fill(opens);
  await page.getByLabel('Stenger').fill(closes);
  await page.getByRole('button', { name: 'Opprett undersøkelsen' }).click();
  await heading(page, `Undersøkelse ${survey}`);
  await page.getByText(`Undersøkelsen ${survey} er opprettet.`).waitFor();
  const waves = await (await fetch(`${BASE}/api/admin/waves`, { headers: { authorization: `Bearer ${page.idToken}` } })).json();
  const wave = waves.waves.find((w) => w.survey_id === survey);
  assert.equal(Date.parse(wave.opens_at), Date.parse(fromOsloLocal(opens)), 'opens at the Norwegian time typed');
  assert.equal(wave.status, 'open');

  // A contact outside the municipality's domain waits for approval, and is approved on the page.
  const kari = { name: 'Kari Kontakt', email: `kari-${TAG}@example.org` };
  await awaitingContact(survey, '5501', kari);
  await openPart(page, 'Enheter');
  await page.getByLabel('Finn en enhet').fill('troms');
  await page.getByRole('button', { name: /^Tromsø/ }).click();
  await page.getByText('Venter på godkjenning fra IMDi').waitFor();
  await page.getByRole('button', { name: 'Godkjenn Kari Kontakt' }).click();
  await page.getByText('Kari Kontakt er godkjent og får tilgangskoden på e-post.').waitFor();
  assert.equal(await page.getByRole('status').filter({ hasText: 'er godkjent' }).evaluate((e) => e === document.activeElement), true, 'focus on what happened');
  const access = codeIn((await mailsTo(kari.email, subject('Tilgangskode')))[0]);

  // The count rises after an answer: the totals and the county's table.
  await openPart(page, 'Svar');
  const total = page.locator('.facts dt', { hasText: 'Svar i alt' }).locator('xpath=following-sibling::dd');
  assert.equal(await total.textContent(), '0');
  const questionnaire = (await call('GET', `/api/surveys/${survey}/questionnaire`)).json;
  const submitted = await call('POST', '/api/responses', { survey_id: survey, access_code: access, submission_id: ulid(), language: 'nb', answers: answersFor(questionnaire, 0) });
  assert.equal(submitted.status, 201, submitted.text);
  await page.getByRole('button', { name: 'Oppdater nå' }).click();
  await page.getByText('Tallene er oppdatert.').waitFor({ state: 'attached' });
  assert.equal(await total.textContent(), '1');
  assert.equal(await page.locator('.facts dt', { hasText: 'Svarprosent' }).locator('xpath=following-sibling::dd').textContent(), '8 %', '1 of the 12 expected');
  assert.ok(await page.getByRole('img', { name: /^Svarprosent etter kommunestørrelse, linjediagram/ }).isVisible());
  await page.locator('#toggle-counties').click();
  const counties = page.getByRole('table', { name: 'Svarprosent etter fylke' });
  assert.deepEqual(await counties.locator('thead th').allTextContents(), ['Dag', 'Troms', 'Alle']);
  assert.equal(await counties.locator('tbody tr').last().locator('td').first().textContent(), '8 % (1 av 12)');

  // A reminder, asked first, reaches the contact through moto's SES.
  await openPart(page, 'Påminnelser');
  await page.getByText('Ingen påminnelser er sendt ennå.').waitFor();
  await page.getByRole('button', { name: 'Send påminnelser' }).click();
  const dialog = page.getByRole('dialog', { name: 'Sende påminnelse til kontaktpersonene i alle åpne enheter nå?' });
  await dialog.getByRole('button', { name: 'Send påminnelsene' }).click();
  await page.getByText('Påminnelsene er sendt: sendt 1.').waitFor();
  await page.getByText(`Sist sendt`).filter({ hasText: email }).waitFor();
  const [reminder] = await mailsTo(kari.email, { where: (m) => m.subject.includes('igjen av brukerundersøkelsen') });
  assert.ok(reminder.body.includes('Så langt har 1 av de 12 deltakerne dere regnet med, svart'), 'the count so far');

  // The aggregation runs with a progress bar until done; the bundle downloads through its short-lived link.
  await openPart(page, 'Resultater');
  await page.getByRole('button', { name: 'Kjør sammenstillingen' }).click();
  const bar = page.locator('progress');
  await bar.waitFor();
  await page.getByText('Sammenstillingen er ferdig.', { exact: false }).waitFor({ timeout: 60000 });
  assert.match(await page.locator('.run-outcome').textContent(), /Svar: 1\. Enheter: 1\./);
  assert.equal(await bar.evaluate((p) => p.value === p.max && p.max > 0), true, 'the bar is full');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Last ned resultatpakken' }).click()]);
  const zip = readFileSync(await download.path());
  assert.equal(zip.subarray(0, 2).toString(), 'PK', 'the bundle is a zip');

  // The log says who did what, in words.
  await openPart(page, 'Logg');
  const log = page.getByRole('table', { name: 'Hendelser i undersøkelsen, nyeste først' });
  assert.deepEqual(await log.locator('tbody td:nth-of-type(2)').allTextContents(),
    ['Startet sammenstillingen', 'Sendte påminnelser', 'Godkjente en kontaktperson', 'Opprettet undersøkelsen']);
  assert.ok((await log.locator('tbody tr').nth(2).textContent()).includes('status: Venter på godkjenning fra IMDi → Godkjent'));
  assert.deepEqual(page.errors, []);
});

test('a reader sees everything and no change controls; the API refuses a reader\'s change', async () => {
  const page = await consolePage();
  await firstSignIn(page, 'readers');
  assert.match(await page.locator('header').textContent(), /\(leser\)/);
  await page.getByText('Du er logget inn som leser. Du kan se alt, men ikke endre noe.').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Ny undersøkelse' }).count(), 0);
  await openWave(page, SURVEY);
  assert.equal(await page.getByRole('button', { name: 'Endre tidsrom og webinar' }).count(), 0);
  await page.getByRole('button', { name: /^Tromsø/ }).click();
  await page.getByText('Venter på godkjenning fra IMDi').waitFor();
  await page.getByRole('button', { name: /^Bergen/ }).click();
  const detail = page.locator('tr.detail:not([hidden])');
  assert.equal(await detail.count(), 2);
  assert.deepEqual(await detail.getByRole('button').allTextContents(), [], 'no approve, remove, domain, code or close buttons');
  for (const [part, button] of [['Påminnelser', 'Send påminnelser'], ['Resultater', 'Kjør sammenstillingen']]) {
    await openPart(page, part);
    assert.equal(await page.getByRole('button', { name: button }).count(), 0, `${part}: no "${button}"`);
  }
  // The reader's own token, used from the page's origin, is refused a change.
  const refused = await page.evaluate(async ([survey, token]) => {
    const res = await fetch(`/api/admin/waves/${survey}/units/4601/close`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    return [res.status, (await res.json()).error.code];
  }, [SURVEY, page.idToken]);
  assert.deepEqual(refused, [403, 'forbidden']);
  assert.deepEqual(page.errors, []);
});

test('a user taken out of every console group is told so, and sees nothing', async () => {
  const page = await consolePage();
  // Out of the group again, as an administrator would do in the user pool.
  const leave = (email) => fetch(process.env.AWS_ENDPOINT_URL, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'AWSCognitoIdentityProviderService.AdminRemoveUserFromGroup',
      authorization: 'AWS4-HMAC-SHA256 Credential=test/20261205/eu-north-1/cognito-idp/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: JSON.stringify({ UserPoolId: process.env.COGNITO_USER_POOL_ID, Username: email, GroupName: 'readers' }),
  }).then((r) => assert.equal(r.status, 200));
  await firstSignIn(page, 'readers', async () => {}, { landing: null, made: leave });
  await page.getByText('Brukeren din er ikke med i noen gruppe i konsollet', { exact: false }).waitFor();
  assert.equal(await page.getByRole('heading', { name: 'Undersøkelser' }).count(), 0, 'no list of waves');
  assert.deepEqual(page.errors, []);
});

test('an expired token leads back to signing in, and back to the same place; a wrong code is explained', async () => {
  const page = await consolePage();
  const user = await firstSignIn(page, 'readers');
  await openWave(page, SURVEY);
  // API Gateway's answer to an expired token, once.
  await page.route('**/api/admin/waves/*/units', (route) => route.fulfill({ status: 401, contentType: 'application/json', body: '{"message":"Unauthorized"}' }), { times: 1 });
  await page.getByRole('link', { name: 'Enheter', exact: true }).click();
  await heading(page, 'Logg inn i IMDi-konsollet');
  await page.getByText('Innloggingen din er utløpt. Logg inn igjen for å fortsette.').waitFor();
  // A wrong code (moto checks codes, as Cognito does), then the right one.
  await heading(page, 'Logg inn i IMDi-konsollet');
  await page.getByLabel('E-postadresse').fill(user.email);
  await page.getByLabel('Passord', { exact: true }).fill(user.password);
  await page.getByRole('button', { name: 'Logg inn' }).click();
  await heading(page, 'Kode fra autentiseringsappen');
  const right = await freshTotp(user.key);
  await page.getByLabel('Sekssifret kode').fill(String((Number(right) + 1) % 1e6).padStart(6, '0'));
  await page.getByRole('button', { name: 'Logg inn' }).click();
  await page.getByText('Koden stemmer ikke.', { exact: false }).waitFor();
  await page.getByLabel('Sekssifret kode').fill(await freshTotp(user.key));
  await page.getByRole('button', { name: 'Logg inn' }).click();
  await heading(page, `Undersøkelse ${SURVEY}`);
  await page.getByRole('heading', { level: 2, name: 'Enheter' }).waitFor();
  assert.deepEqual(page.errors, []);
});

// Presses Tab until the focused element's accessible text matches `name`; fails after `max` presses.
async function tabTo(page, name, max = 80) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const e = document.activeElement;
      const label = e.labels?.[0]?.textContent || e.getAttribute('aria-label') || e.textContent || '';
      return label.replace(/\s+/g, ' ').trim();
    });
    if (name instanceof RegExp ? name.test(focused) : focused === name) return;
  }
  assert.fail(`Tab never reached "${name}"`);
}

test('by keyboard alone: the first sign-in, opening a wave and sending a unit\'s code again', async () => {
  const page = await consolePage();
  const email = `tastatur-${TAG}@imdi.no`;
  const temporary = admin('operator', 'add', '--email', email, '--group', 'operators');
  const password = newPassword();
  await page.goto(`${BASE}/admin/`);
  await heading(page, 'Logg inn i IMDi-konsollet');
  await tabTo(page, 'E-postadresse');
  await page.keyboard.type(email);
  await tabTo(page, 'Passord');
  await page.keyboard.type(temporary);
  await page.keyboard.press('Enter');
  await heading(page, 'Velg et nytt passord');
  await tabTo(page, 'Nytt passord');
  await page.keyboard.type(password);
  await tabTo(page, 'Skriv det nye passordet en gang til');
  await page.keyboard.type(password);
  await tabTo(page, 'Lagre passordet');
  await page.keyboard.press('Enter');
  await heading(page, 'Sett opp autentiseringsappen');
  const key = await page.locator('#totp-key').textContent();
  await tabTo(page, 'Sekssifret kode');
  await page.keyboard.type(await freshTotp(key));
  await page.keyboard.press('Enter');
  await heading(page, 'Undersøkelser');

  await tabTo(page, SURVEY);
  await page.keyboard.press('Enter');
  await heading(page, `Undersøkelse ${SURVEY}`);
  await page.getByRole('heading', { level: 2, name: 'Enheter' }).waitFor();
  await tabTo(page, 'Finn en enhet');
  await page.keyboard.type('4601');
  await tabTo(page, /^Bergen/);
  await page.keyboard.press('Enter');
  await tabTo(page, 'Send koden på nytt');
  await page.keyboard.press('Enter');
  await page.getByText('Koden er sendt på nytt til de godkjente kontaktpersonene (sendt: 1).').waitFor();
  await mailsTo(`berit-${TAG}@example.org`, { count: 2, where: (m) => m.subject.startsWith('Tilgangskode') });
  assert.deepEqual(page.errors, []);
});

test('axe: 0 violations on the sign-in, the list, a wave\'s every part, the forms and the dialog', async () => {
  const found = [];
  const page = await consolePage();
  await page.goto(`${BASE}/admin/`);
  await heading(page, 'Logg inn i IMDi-konsollet');
  await axe(page, 'sign-in', found);
  const user = await firstSignIn(page, 'operators', (step) => axe(page, step, found));
  await axe(page, 'waves', found);
  await page.getByRole('button', { name: 'Ny undersøkelse' }).click();
  await page.getByRole('button', { name: 'Opprett undersøkelsen' }).click();
  await page.getByText('Fyll ut dette feltet.').first().waitFor();
  await axe(page, 'new wave, with errors', found);
  await openWave(page, SURVEY);
  await page.getByRole('button', { name: 'Endre tidsrom og webinar' }).click();
  await axe(page, 'wave, edit form', found);
  await page.getByRole('button', { name: /^Tromsø/ }).click();
  await page.getByRole('button', { name: /^Bergen/ }).click();
  await axe(page, 'units, details open', found);
  await page.getByRole('button', { name: 'Lag ny kode' }).click();
  await page.getByRole('dialog').waitFor();
  await axe(page, 'confirm dialog', found);
  await page.keyboard.press('Escape');
  for (const part of ['Svar', 'Påminnelser', 'Resultater', 'Språk', 'Logg']) {
    await openPart(page, part);
    await axe(page, part, found);
  }
  await openPart(page, 'Svar');
  assert.equal(await page.getByRole('img', { name: /^Svarprosent etter kommunestørrelse/ }).getAttribute('aria-label'),
    'Svarprosent etter kommunestørrelse, linjediagram dag for dag. Siste dag: 20 000 og over 10 %, Alle 10 %. Alle tallene står i tabellen.');
  assert.equal(await page.getByRole('img', { name: /^Rogaland/ }).count(), 1, 'a small chart per county with a rate');
  const show = page.getByRole('button', { name: 'Vis tallene i en tabell' });
  while (await show.count()) await show.first().click();
  await axe(page, 'Svar, tables shown', found);
  // A reload signs in again (password and code) and comes back to the same place.
  await page.goto(`${BASE}/admin/?survey=${ROLES_SURVEY}`);
  await signInAgain(page, user, () => axe(page, 'code from the app', found));
  await heading(page, `Undersøkelse ${ROLES_SURVEY}`);
  await page.getByRole('columnheader', { name: 'Kommunedirektør' }).waitFor();
  assert.deepEqual(await page.getByRole('row', { name: /Bergen/ }).locator('td').allTextContents(), ['4601', 'Vestland', '20 000 og over', 'Ikke invitert ennå', 'Ikke invitert ennå', '–']);
  await axe(page, 'survey of roles, units', found);
  // Closed, its results may be out: the form says what may no longer change.
  await page.getByRole('link', { name: 'Alle undersøkelser', exact: true }).click();
  await openWave(page, CLOSED_ROLES);
  await page.getByRole('button', { name: 'Endre tidsrom og webinar' }).click();
  await page.getByText('Undersøkelsen er avsluttet, og resultatene kan være publisert.', { exact: false }).waitFor();
  const min = page.getByRole('spinbutton', { name: 'Minste antall svar' });
  assert.equal(await min.getAttribute('readonly'), '', 'the minimum is shown, not offered');
  assert.equal(await min.getAttribute('aria-describedby').then((id) => page.locator(`#${id}`).textContent()), 'Ligger fast etter at undersøkelsen er avsluttet.');
  await axe(page, 'survey of roles, closed, edit form', found);
  assert.deepEqual(found, []);
  assert.deepEqual(page.errors, []);
});
