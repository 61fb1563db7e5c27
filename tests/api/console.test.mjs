// Black-box (issue 17): the IMDi console's API on the local stack, signed in
// against moto's Cognito as a browser would be (the temporary password, a new
// one, then an authenticator app whose TOTP codes are computed here). The
// gateway checks tokens as API Gateway's JWT authorizer does: no token, a
// forged one, an expired one and one of another pool get 401; a reader gets
// 403 on a change; an operator's change is done once and is in the audit log
// once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { ADMIN, AWS, BASE, admin, answersFor, call, codeIn, mailsTo, subject, tokenIn, ulid } from './support.mjs';
import { freshTotp } from '../totp.mjs';

assert.ok(BASE && AWS && ADMIN, 'BASE_URL, AWS_ENDPOINT_URL and SURVEY_ADMIN must be set');
const CLIENT = process.env.COGNITO_CLIENT_ID;
assert.ok(CLIENT, 'COGNITO_CLIENT_ID is exported by tests/with-local-stack.sh');

// Cognito's JSON API on moto; the calls a browser makes need no AWS signature.
async function cognito(action, body) {
  const res = await fetch(AWS, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `AWSCognitoIdentityProviderService.${action}`,
      authorization: 'AWS4-HMAC-SHA256 Credential=test/20261205/eu-north-1/cognito-idp/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  assert.equal(res.status, 200, `${action}: ${JSON.stringify(json)}`);
  return json;
}

// Signs in a new console user: temporary password, a new password, the authenticator app.
async function signIn(email, group) {
  const temporary = admin('operator', 'add', '--email', email, '--group', group);
  const password = `Nytt-${randomBytes(6).toString('hex')}-Passord1!`;
  const first = await cognito('InitiateAuth', { ClientId: CLIENT, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: email, PASSWORD: temporary } });
  assert.equal(first.ChallengeName, 'NEW_PASSWORD_REQUIRED');
  const setup = await cognito('RespondToAuthChallenge', { ClientId: CLIENT, ChallengeName: 'NEW_PASSWORD_REQUIRED', Session: first.Session, ChallengeResponses: { USERNAME: email, NEW_PASSWORD: password } });
  assert.equal(setup.ChallengeName, 'MFA_SETUP', 'an authenticator app is required');
  const app = await cognito('AssociateSoftwareToken', { Session: setup.Session });
  const verified = await cognito('VerifySoftwareToken', { Session: app.Session, UserCode: await freshTotp(app.SecretCode) });
  assert.equal(verified.Status, 'SUCCESS');
  const done = await cognito('RespondToAuthChallenge', { ClientId: CLIENT, ChallengeName: 'MFA_SETUP', Session: verified.Session, ChallengeResponses: { USERNAME: email } });
  assert.ok(done.AuthenticationResult?.IdToken, `tokens after MFA setup: ${JSON.stringify(done)}`);
  return done.AuthenticationResult.IdToken;
}

// moto signs every pool's tokens with one key, published with moto itself: a test
// can sign claims of its own choosing exactly as the pool would (with moto's own code).
function signedByThePool(token, change) {
  const claims = { ...JSON.parse(Buffer.from(token.split('.')[1], 'base64url')), ...change };
  const script = [
    'import json, sys',
    'from joserfc import jwk, jwt',
    'from moto.utilities.utils import load_resource',
    'key = jwk.RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))',
    'print(jwt.encode({"kid": "dummy", "alg": "RS256"}, json.loads(sys.argv[1]), key))',
  ].join('\n');
  return execFileSync('.venv/bin/python', ['-c', script, JSON.stringify(claims)], { encoding: 'utf8' }).trim();
}

const get = (path, token) => call('GET', path, undefined, token ? { authorization: `Bearer ${token}` } : {});
const post = (path, token, body = {}) => call('POST', path, body, token ? { authorization: `Bearer ${token}` } : {});

test('the console: 401 without a good token, 403 for a reader, an operator\'s change done and logged once', async () => {
  const tag = randomBytes(3).toString('hex');
  const survey = `konsoll-${tag}`;
  const now = Date.now();
  const iso = (ms) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
  admin('survey', 'create', '--survey', survey, '--opens', iso(now - 3600e3), '--closes', iso(now + 30 * 86400e3));
  admin('registration', 'add', '--survey', survey, '--unit', '4601', '--contact', `Kontakt <konsoll-${tag}@example.org>`);

  const reader = await signIn(`leser-${tag}@imdi.no`, 'readers');
  const operator = await signIn(`operator-${tag}@imdi.no`, 'operators');

  // No token, a forged one (groups changed under the real signature), one of another pool.
  const none = await get('/api/admin/me');
  assert.equal(none.status, 401);
  assert.deepEqual(none.json, { message: 'Unauthorized' });
  const [h, p, s] = reader.split('.');
  const claims = JSON.parse(Buffer.from(p, 'base64url'));
  claims['cognito:groups'] = ['operators'];
  const forged = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
  assert.equal((await post(`/api/admin/waves/${survey}/units/4601/close`, forged)).status, 401);
  const other = await cognito('CreateUserPool', { PoolName: `other-${tag}` });
  const otherClient = await cognito('CreateUserPoolClient', { UserPoolId: other.UserPool.Id, ClientName: 'x', ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH'] });
  await cognito('AdminCreateUser', { UserPoolId: other.UserPool.Id, Username: 'x@imdi.no', MessageAction: 'SUPPRESS' });
  await cognito('AdminSetUserPassword', { UserPoolId: other.UserPool.Id, Username: 'x@imdi.no', Password: 'Annen-pool-123!', Permanent: true });
  const foreign = await cognito('InitiateAuth', { ClientId: otherClient.UserPoolClient.ClientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'x@imdi.no', PASSWORD: 'Annen-pool-123!' } });
  assert.equal((await get('/api/admin/me', foreign.AuthenticationResult.IdToken)).status, 401, 'a token of another pool');
  // Signed by the pool's own key: accepted while valid, refused once expired.
  const seconds = Math.floor(Date.now() / 1000);
  assert.equal((await get('/api/admin/me', signedByThePool(reader, { exp: seconds + 600 }))).status, 200, 'the re-signed token is good');
  const expired = await get('/api/admin/me', signedByThePool(reader, { iat: seconds - 7200, exp: seconds - 3600 }));
  assert.deepEqual([expired.status, expired.json], [401, { message: 'Unauthorized' }], 'an expired token');

  // A reader looks, and may change nothing.
  const me = await get('/api/admin/me', reader);
  assert.equal(me.status, 200);
  assert.deepEqual(me.json, { user: `leser-${tag}@imdi.no`, groups: ['readers'], may_change: false });
  const waves = await get('/api/admin/waves', reader);
  assert.ok(waves.json.waves.some((w) => w.survey_id === survey && w.status === 'open'));
  const refused = await post(`/api/admin/waves/${survey}/units/4601/close`, reader);
  assert.equal(refused.status, 403);
  assert.equal(refused.json.error.code, 'forbidden');

  // An operator closes the unit: done, and in the log once, with who.
  const closed = await post(`/api/admin/waves/${survey}/units/4601/close`, operator);
  assert.equal(closed.status, 200, closed.text);
  const log = (await get(`/api/admin/audit?survey=${survey}`, reader)).json.entries;
  assert.deepEqual(log.map((e) => e.action), ['wave.create', 'unit.close'], 'each action appears once, the CLI\'s too');
  assert.match(log[0].who, /^survey-admin \(.+\)$/);
  const [, close] = log;
  assert.equal(close.who, `operator-${tag}@imdi.no`);
  assert.equal(close.before.closed_at, null);
  assert.ok(close.after.closed_at);
});

test('an operator runs a wave through the console\'s API: create, approve, watch the count, remind, aggregate, download', async () => {
  const tag = randomBytes(3).toString('hex');
  const operator = await signIn(`drift-${tag}@imdi.no`, 'operators');
  const survey = `flyt-${tag}`;
  const iso = (ms) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
  const created = await post('/api/admin/waves', operator, {
    survey_id: survey, definition: 'brukerundersokelse', opens_at: iso(Date.now() - 3600e3), closes_at: iso(Date.now() + 30 * 86400e3),
  });
  assert.equal(created.status, 201, created.text);
  assert.equal(created.json.wave.status, 'open');
  const page = await call('GET', `/api/surveys/${survey}/questionnaire`);
  assert.equal(page.status, 200, 'the new wave\'s questionnaire is published for the survey page');

  // A first contact from an unknown domain proves the address and waits for IMDi.
  const kari = { name: 'Kari Kontakt', email: `kari-${tag}@example.org` };
  assert.equal((await call('POST', '/api/registrations', { survey_id: survey, unit: '5501', contacts: [kari], expected_participants: 12 })).status, 202);
  const opened = await call('GET', `/api/registrations/verify?token=${tokenIn((await mailsTo(kari.email))[0])}`);
  assert.equal(opened.json.status, 'awaiting_approval');
  const units = (await get(`/api/admin/waves/${survey}/units`, operator)).json.units;
  assert.deepEqual(units.map((u) => [u.unit, u.contacts.map((c) => c.status)]), [['5501', ['awaiting_approval']]]);
  const approved = await post(`/api/admin/waves/${survey}/units/5501/contacts/approve`, operator, { email: kari.email });
  assert.equal(approved.status, 200, approved.text);
  const code = codeIn((await mailsTo(kari.email, subject('Tilgangskode')))[0]);

  // The count rises after a submission, in the unit's row and in today's point of the chart.
  const questionnaire = page.json;
  const submitted = await call('POST', '/api/responses', { survey_id: survey, access_code: code, submission_id: ulid(), language: 'nb', answers: answersFor(questionnaire, 0) });
  assert.equal(submitted.status, 201, submitted.text);
  const after = (await get(`/api/admin/waves/${survey}/units`, operator)).json.units[0];
  assert.equal(after.answers, 1);
  assert.equal(after.expected_participants, 12);
  const responses = (await get(`/api/admin/waves/${survey}/responses`, operator)).json;
  assert.equal(responses.total.answers.at(-1), 1);
  assert.deepEqual(responses.counties.map((c) => [c.name, c.expected, c.answers.at(-1)]), [['Troms', 12, 1]]);

  // A reminder reaches the contact through the mail queue and SES.
  const reminded = await post(`/api/admin/waves/${survey}/reminders`, operator, { to: 'contacts' });
  assert.deepEqual([reminded.status, reminded.json.sent], [200, 1]);
  const [reminder] = await mailsTo(kari.email, { where: (m) => m.subject.includes('igjen av brukerundersøkelsen') });
  assert.match(reminder.subject, /^\d+ dager igjen av brukerundersøkelsen – Tromsø$/, 'how long is left on the day it is sent');
  assert.ok(reminder.body.includes('Så langt har 1 av de 12 deltakerne dere regnet med, svart'), 'the count so far');

  // The aggregation runs with progress; its bundle comes through a short-lived link.
  const started = await post(`/api/admin/waves/${survey}/runs`, operator);
  assert.equal(started.status, 202, started.text);
  const steps = new Set();
  let state;
  for (const until = Date.now() + 60000; Date.now() < until; await new Promise((r) => setTimeout(r, 200))) {
    state = (await get(`/api/admin/waves/${survey}/runs/${started.json.run_id}`, operator)).json;
    steps.add(state.step);
    if (state.state !== 'running') break;
  }
  assert.equal(state.state, 'done', JSON.stringify(state));
  assert.equal(state.summary.answers, 1);
  assert.ok(steps.size >= 2, `progress was seen moving: ${[...steps]}`);
  const link = await get(`/api/admin/waves/${survey}/bundle`, operator);
  assert.equal(link.status, 200, link.text);
  assert.equal(link.json.run_id, started.json.run_id);
  assert.ok(new Date(link.json.expires_at) - Date.now() <= 5 * 60e3 + 5e3, 'the link lives five minutes');
  const zip = Buffer.from(await (await fetch(link.json.url)).arrayBuffer());
  assert.equal(zip.subarray(0, 2).toString(), 'PK', 'the link downloads the bundle (a zip)');

  const log = (await get(`/api/admin/audit?survey=${survey}`, operator)).json.entries;
  assert.deepEqual(log.map((e) => e.action), ['wave.create', 'contact.approve', 'reminders.send', 'aggregation.start'], 'each action once');
  assert.ok(!JSON.stringify(log).includes(kari.email), 'the log masks the contact\'s address');
});
