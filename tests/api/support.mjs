// What the black-box tests share: the local stack's addresses from the
// environment (tests/with-local-stack.sh sets them), HTTP calls that read the
// contract's JSON, survey-admin, and submission ids made as the page makes them.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export const BASE = process.env.BASE_URL;
export const CODE = process.env.ACCESS_CODE;
export const ADMIN = process.env.SURVEY_ADMIN;
export const AWS = process.env.AWS_ENDPOINT_URL;

/** survey-admin's stdout, trimmed; a failure throws with its stderr. */
export const admin = (...args) => execFileSync(ADMIN, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

/** How many answers a wave has stored. */
export const count = (survey = 'local') => Number(admin('responses', 'count', '--survey', survey));

/** A request to the stack; an object body is sent as JSON, a string as it is. */
export async function call(method, path, body, headers = {}) {
  const init = { method, headers: { 'content-type': 'application/json', accept: 'application/json', ...headers } };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await fetch(BASE + path, init);
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, json, headers: res.headers, text };
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A ULID: 48 bits of milliseconds and 80 random bits, in Crockford base32. */
export function ulid() {
  let time = Date.now();
  let out = '';
  for (let i = 0; i < 10; i++) { out = CROCKFORD[time % 32] + out; time = Math.floor(time / 32); }
  for (const b of randomBytes(16)) out += CROCKFORD[b % 32];
  return out;
}

/**
 * Every e-mail moto's SES has sent to `address`, oldest first. moto builds
 * data.json from its live state; when a request changes that state at the same
 * moment, it answers with an HTML error page, so a few such answers are retried.
 */
export async function sentTo(address) {
  for (let attempt = 1; ; attempt++) {
    const r = await fetch(`${AWS}/moto-api/data.json`);
    const body = await r.text();
    let data = null;
    try { data = r.ok ? JSON.parse(body) : null; } catch { /* an error page, not JSON */ }
    if (data) return data.ses.Message.filter((m) => JSON.stringify(m.destinations).includes(address));
    if (attempt === 5) throw new Error(`moto's data.json failed 5 times (last: ${r.status} ${body.slice(0, 80)})`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * E-mail leaves through the mail queue, which the local gateway polls once a
 * second: waits until at least `count` e-mails to `address` match `where`, and
 * returns those that match (a failed wait throws, naming the address). A job
 * taken by a gateway that was stopped before it finished (a test's gateway of
 * its own) comes back after the queue's 10-second visibility timeout.
 */
export async function mailsTo(address, { where = () => true, count = 1, timeout = 30000 } = {}) {
  const until = Date.now() + timeout;
  for (;;) {
    const found = (await sentTo(address)).filter(where);
    if (found.length >= count) return found;
    if (Date.now() > until) throw new Error(`no ${count} e-mail(s) to ${address} within ${timeout} ms (found ${found.length})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** `mailsTo`'s filter for e-mails whose subject starts with `start`. */
export const subject = (start) => ({ where: (m) => m.subject.startsWith(start) });

/** The single-use token in a verification or approval e-mail's link. */
export const tokenIn = (mail) => mail.body.match(/token=([0-9a-f]{64})/)[1];

/** The access code in a code e-mail. */
export const codeIn = (mail) => mail.body.match(/[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{3}/)[0];

/** Waits until the mail queue has had time to deliver (three polls), for checks that nothing was sent. */
export const settled = () => new Promise((r) => setTimeout(r, 3500));

/** Complete answers for participant `i` of a questionnaire: every question
 *  shown to them, the group by `i % 3`, the other answers spread over the options. */
export function answersFor(questionnaire, i) {
  const answers = {};
  for (const q of questionnaire.questions) {
    if (q.show_if) {
      const given = answers[q.show_if.question];
      if (!(Array.isArray(given) ? given : [given]).some((v) => q.show_if.any_of.includes(v))) continue;
    }
    const options = q.options.filter((o) => !o.ends_survey && !o.exclusive);
    const pick = q.id === 'q_group' ? ['training', 'intro', 'both'][i % 3] : options[i % options.length].value;
    answers[q.id] = q.type === 'multi' ? [pick] : pick;
  }
  return answers;
}
