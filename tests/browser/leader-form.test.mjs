// A survey of roles on the local stack, end to end through survey-admin, the
// mail queue, moto's SES and the form page in Chromium. The leaders' survey in
// tests/definitions/lederundersokelse is test data (the stack reads it through
// SURVEY_DEFINITIONS): three roles, routing within a role's part, a matrix and
// free text. Five units are imported; two roles save drafts, come back on
// another device and submit; a reminder reaches only those who did not submit;
// the status shows where each role stands; and the page works by keyboard, on a
// phone, in nynorsk, and passes axe.
//
// Env (set by tests/with-local-stack.sh): BASE_URL, SURVEY_ADMIN, AWS_ENDPOINT_URL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import AxeBuilder from '@axe-core/playwright';
import { admin, mailsTo, sentTo, settled } from '../api/support.mjs';
import { BASE, getJSON, launch, strictPage } from './pages.mjs';

const SURVEY = `ledere-${randomBytes(3).toString('hex')}`;
const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
const mail = (who) => `${who}-${SURVEY}@example.org`;

// Five units; Bergen's education head is the programme head too; Oslo's Alna has no education head.
const RECIPIENTS = [
  ['4601', 'director', 'Kari Nordmann', mail('kari')],
  ['4601', 'programme', 'Per Hansen', mail('per')],
  ['4601', 'education', 'Per Hansen', mail('per')],
  ['5501', 'director', '"Dunk, Ola"', mail('ola')],
  ['1101', 'programme', 'Siri Lie', mail('siri')],
  ['030112', 'director', 'Anne Bydel', mail('anne')],
  ['1151', 'education', 'Lars Øy', mail('lars')],
];

let browser;
let ui; // the page's bokmål texts
let texts; // the survey's bokmål texts

const csv = (rows) => ['unit,role,name,email', ...rows.map((r) => r.join(','))].join('\n') + '\n';
const file = (content) => {
  const path = join(mkdtempSync(join(tmpdir(), 'recipients-')), 'mottakere.csv');
  writeFileSync(path, content);
  return path;
};
const statusOf = () => admin('recipients', 'status', '--survey', SURVEY).split('\n').filter(Boolean).map((l) => JSON.parse(l));
const linkIn = (m) => m.body.match(/(https?:\/\/[^\s"<>]+\/skjema\/#token=[0-9a-f]{64})/)[1].replace(/^https?:\/\/[^/]+/, BASE);

before(async () => {
  browser = await launch();
  const now = Date.now();
  admin('survey', 'create', '--survey', SURVEY, '--definition', 'lederundersokelse', '--opens', iso(now - 3600e3), '--closes', iso(now + 30 * 86400e3));
  ui = (await getJSON('/skjema/i18n/nb.json')).strings;
  texts = (await getJSON(`/content/${SURVEY}/i18n/nb.json`)).strings;
});

after(async () => {
  await browser?.close();
});

test('a bad recipients file is refused whole, with each bad line and why', () => {
  const bad = csv([...RECIPIENTS.slice(0, 2), ['9901', 'director', 'X Y', mail('x')], ['4601', 'mayor', 'X Y', mail('y')], ['4601', 'director', 'Z', 'not-an-address']]);
  let error;
  try { admin('recipients', 'import', '--survey', SURVEY, '--file', file(bad)); } catch (e) { error = e; }
  assert.ok(error, 'a non-zero exit');
  const stderr = String(error.stderr);
  assert.match(stderr, /linje 4: «9901» er ikke en enhet/);
  assert.match(stderr, /linje 5: «mayor» er ikke en rolle/);
  assert.match(stderr, /linje 6: «not-an-address» er ikke en e-postadresse/);
  assert.equal(admin('recipients', 'status', '--survey', SURVEY), '', 'nothing stored');
});

test('invitations reach every recipient once, each with a personal link', async () => {
  // Eigersund writes nynorsk: its leader's e-mail and form come in nynorsk first.
  assert.equal(admin('units', 'language', '--survey', SURVEY, '--file', file('unit,form\n1101,nynorsk\n4601,neutral\n')), 'lagret målform for 2 enheter (1 nynorsk, 0 bokmål, 1 nøytral)');
  assert.equal(admin('recipients', 'import', '--survey', SURVEY, '--file', file(csv(RECIPIENTS))), `imported ${RECIPIENTS.length}`);
  assert.ok(statusOf().every((s) => s.status === 'not_invited'));
  assert.equal(admin('invitations', 'send', '--survey', SURVEY), `sent ${RECIPIENTS.length}`);
  const [kari] = await mailsTo(mail('kari'));
  assert.match(kari.subject, /^Lederundersøkelsen – din del som kommunedirektør i Bergen$/);
  assert.match(kari.body, /På nynorsk/);
  const per = await mailsTo(mail('per'), { count: 2 });
  assert.notEqual(linkIn(per[0]), linkIn(per[1]), 'one link per role, even for one person');
  await mailsTo(mail('lars'));
  assert.equal(admin('invitations', 'send', '--survey', SURVEY), 'sent 0', 'an invitation goes once');
  await settled();
  assert.deepEqual(statusOf().map((s) => s.status), Array(RECIPIENTS.length).fill('invited'));
});

test('the director saves a draft, comes back on a phone in nynorsk and submits; keyboard and axe', async () => {
  const [invitation] = await mailsTo(mail('kari'));
  const link = linkIn(invitation);
  const desk = await strictPage(browser, { viewport: { width: 1280, height: 900 } });
  await desk.goto(link);
  await desk.getByRole('heading', { level: 1, name: 'Kommunedirektør i Bergen' }).waitFor();
  assert.equal(new URL(desk.url()).hash, '', 'the token leaves the address bar');
  assert.deepEqual((await new AxeBuilder({ page: desk }).withTags(WCAG).analyze()).violations.map((v) => v.id), []);
  // Keyboard only: Tab to the first answer, Space picks it.
  await desk.keyboard.press('Tab');
  let guard = 0;
  while (!(await desk.evaluate(() => document.activeElement?.name === 'q_partner')) && guard++ < 30) await desk.keyboard.press('Tab');
  await desk.keyboard.press('ArrowDown'); // radio group: the second option, «Nei»
  assert.equal(await desk.getByRole('radio', { name: texts['q.q_partner.opt.no'] }).isChecked(), true);
  const why = desk.getByRole('textbox', { name: texts['q.q_partner_why.text'] });
  await why.fill('Raskere svar på e-post.');
  await desk.getByText(ui['save.saved'].split('{')[0].trim()).waitFor({ timeout: 10000 });
  assert.equal(statusOf().find((s) => s.unit === '4601' && s.role === 'director').status, 'draft');
  await desk.context().close();

  const phone = await strictPage(browser, { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
  await phone.goto(link.replace('/skjema/', '/skjema/?lang=nn'));
  await phone.getByRole('heading', { level: 1, name: 'Kommunedirektør i Bergen' }).waitFor();
  const nn = (await getJSON(`/content/${SURVEY}/i18n/nn.json`)).strings;
  assert.equal(await phone.getByRole('radio', { name: nn['q.q_partner.opt.no'] }).isChecked(), true, 'the draft, in nynorsk');
  assert.equal(await phone.getByRole('textbox', { name: nn['q.q_partner_why.text'] }).inputValue(), 'Raskere svar på e-post.');
  assert.ok(await phone.evaluate(() => document.documentElement.scrollWidth <= 360), 'no sideways scrolling at 360 px');
  await phone.getByRole('button', { name: (await getJSON('/skjema/i18n/nn.json')).strings['submit.button'] }).click();
  await phone.getByRole('heading', { level: 1, name: (await getJSON('/skjema/i18n/nn.json')).strings['done.title'] }).waitFor();
  assert.match(await phone.locator('.receipt').textContent(), /[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}/);
  assert.deepEqual(phone.errors, []);
  await phone.context().close();
});

test('the programme head must answer what is required; the matrix is answered by keyboard', async () => {
  const [programme] = (await mailsTo(mail('per'), { count: 2 })).filter((m) => /introduksjonsprogrammet/.test(m.subject));
  const page = await strictPage(browser, { viewport: { width: 1280, height: 900 } });
  await page.goto(linkIn(programme));
  await page.getByRole('heading', { level: 1 }).waitFor();
  await page.getByRole('button', { name: ui['submit.button'] }).click();
  const problems = page.locator('#problems');
  await problems.waitFor();
  assert.ok(await problems.evaluate((e) => e === document.activeElement), 'the list of what is missing takes the focus');
  assert.match(await problems.textContent(), new RegExp(texts['q.q_targets.text'].replace(/[?]/g, '\\?')));
  await page.getByRole('group', { name: texts['matrix.involve.text'] }).waitFor();
  await page.getByRole('group', { name: texts['q.q_involve_1.text'] }).getByRole('radio', { name: texts['scale.degree.3'] }).check();
  await page.getByRole('radio', { name: texts['q.q_targets.opt.yes'] }).check();
  await page.getByRole('button', { name: ui['submit.button'] }).click();
  await page.getByRole('heading', { level: 1, name: ui['done.title'] }).waitFor();
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('a nynorsk unit\'s leader gets nynorsk first, and a language they choose is kept', async () => {
  const [invitation] = await mailsTo(mail('siri'));
  assert.match(invitation.subject, /^Leiarundersøkinga – din del som /);
  const link = linkIn(invitation);
  const page = await strictPage(browser, { viewport: { width: 1280, height: 900 } });
  const nnUi = (await getJSON('/skjema/i18n/nn.json')).strings;
  await page.goto(link);
  await page.getByRole('button', { name: nnUi['submit.button'] }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'nn', 'the unit\'s form of Norwegian');
  await page.getByRole('link', { name: 'Bokmål' }).click();
  await page.getByRole('button', { name: ui['submit.button'] }).waitFor();
  await page.goto(link);
  await page.getByRole('button', { name: ui['submit.button'] }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'nb', 'the reader\'s choice is kept on this device');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('a reminder reaches only those who have not submitted, and status and rates add up', async () => {
  assert.equal(admin('reminders', 'send', '--survey', SURVEY), `sent ${RECIPIENTS.length - 2}`);
  const [reminder] = await mailsTo(mail('siri'), { where: (m) => /^Påminning/.test(m.subject) });
  assert.match(reminder.subject, /^Påminning: Leiarundersøkinga – Eigersund$/, 'in nynorsk, the unit\'s own form');
  await mailsTo(mail('per'), { where: (m) => /^Påminnelse/.test(m.subject) });
  await settled();
  assert.equal((await sentTo(mail('kari'))).length, 1, 'never a reminder to one who submitted');
  const status = Object.fromEntries(statusOf().map((s) => [`${s.unit}/${s.role}`, s.status]));
  assert.deepEqual(status, {
    '030112/director': 'invited',
    '1101/programme': 'opened',
    '1151/education': 'invited',
    '4601/director': 'submitted',
    '4601/education': 'invited',
    '4601/programme': 'submitted',
    '5501/director': 'invited',
  });
  const rates = JSON.parse(admin('recipients', 'rates', '--survey', SURVEY));
  assert.deepEqual(rates.national, { units: 5, at_least_one_part: 1, all_parts: 0 });
  assert.deepEqual(rates.counties['46'], { units: 1, at_least_one_part: 1, all_parts: 0 });
  assert.equal(rates.size_bands['20000_plus'].units, 3);
});
