// The classroom storm: N submissions from M concurrent clients against the
// local stack on moto, every one sent twice at the same moment (a double tap,
// a retry after a lost response). Exactly N answers are stored, every copy
// gets the same receipt, and nothing answers 5xx. `make test` runs it small;
// `make soak` runs it at full size (STORM_N=20000 STORM_M=200).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN, BASE, CODE, answersFor, count, ulid } from './support.mjs';

const N = Number(process.env.STORM_N ?? 300);
const M = Number(process.env.STORM_M ?? 30);
assert.ok(BASE && CODE && ADMIN, 'BASE_URL, ACCESS_CODE and SURVEY_ADMIN must be set');

async function post(body) {
  const res = await fetch(`${BASE}/api/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { status: res.status, json: await res.json() };
}

// moto, one Python process, serves some 160 DynamoDB calls a second here, and
// a submission sent twice costs about 7, so the full size needs some 15 minutes
// on this machine (DynamoDB itself would take seconds): the time allowed grows
// with N, 100 ms a submission, at least 15 minutes.
const TIMEOUT_MS = Math.max(15 * 60e3, N * 100);

test(`${N} submissions from ${M} clients, each sent twice at once: exactly ${N} stored, no 5xx`, { timeout: TIMEOUT_MS }, async () => {
  const questionnaire = await (await fetch(`${BASE}/api/surveys/local/questionnaire`)).json();
  const before = count();
  const statuses = new Map();
  let next = 0;
  const started = Date.now();
  const client = async () => {
    while (next < N) {
      const i = next++;
      const body = JSON.stringify({ survey_id: 'local', access_code: CODE, submission_id: ulid(), language: 'nb', answers: answersFor(questionnaire, i) });
      const [a, b] = await Promise.all([post(body), post(body)]);
      for (const r of [a, b]) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      const seen = `submission ${i}: ${a.status} ${JSON.stringify(a.json)} and ${b.status} ${JSON.stringify(b.json)}`;
      assert.equal(a.json.receipt, b.json.receipt, `${seen}: both copies get the same receipt`);
      // DynamoDB's conditional put makes exactly one copy "created"; moto serves
      // requests on threads and may tell both copies so. Storage must be exact
      // either way, which the count below checks.
      assert.ok([a.status, b.status].every((s) => s === 200 || s === 201) && [a.status, b.status].includes(201), `${seen}: stored`);
    }
  };
  await Promise.all(Array.from({ length: M }, client));
  const seconds = (Date.now() - started) / 1000;
  console.log(`# storm: ${N} submissions x 2 in ${seconds.toFixed(1)} s (${((2 * N) / seconds).toFixed(0)} requests/s on moto); statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
  assert.ok([...statuses.keys()].every((s) => s < 500), 'no 5xx');
  assert.equal(count(), before + N);
});
