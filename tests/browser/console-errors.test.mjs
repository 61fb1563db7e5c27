// The console's error texts against the admin API's documented error codes
// (docs/openapi.json), no browser: every refusal an operator can meet (a 404
// or 409 of /api/admin) reads in Norwegian, not as "feilkode …", and the
// console keeps no text for a code the API never sends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import S from '../../static-site/admin/strings.js';

const doc = JSON.parse(fs.readFileSync(new URL('../../docs/openapi.json', import.meta.url), 'utf8'));
// The codes each response of the admin API names, as `code` in its description.
const documented = new Map();
for (const [path, operations] of Object.entries(doc.paths)) {
  if (!path.startsWith('/api/admin')) continue;
  for (const [method, operation] of Object.entries(operations)) {
    for (const [status, response] of Object.entries(operation.responses ?? {})) {
      for (const [, code] of (response.description ?? '').matchAll(/`([a-z_]+)`/g)) {
        documented.set(`${status} ${code}`, `${method.toUpperCase()} ${path}`);
      }
    }
  }
}
const codes = (statuses) => [...documented.keys()].filter((k) => statuses.includes(k.split(' ')[0])).map((k) => k.split(' ')[1]);
// The console's own: no answer at all, a server error, a code it has no text for, a user in no group.
const OWN = ['network', 'server', 'other', 'no_group'];

test('every 404 and 409 of the admin API has a Norwegian text in the console', () => {
  const refusals = [...new Set(codes(['404', '409']))];
  assert.ok(refusals.length >= 10, `found ${refusals}`);
  const missing = refusals.filter((code) => !S[`err.${code}`]);
  assert.deepEqual(missing, [], `no text for: ${missing.map((c) => `${c} (${documented.get(`409 ${c}`) ?? documented.get(`404 ${c}`)})`)}`);
});

test('the console has no error text for a code the admin API never sends', () => {
  const all = new Set([...documented.keys()].map((k) => k.split(' ')[1]));
  const dead = Object.keys(S)
    .filter((key) => key.startsWith('err.'))
    .map((key) => key.slice(4))
    .filter((code) => !all.has(code) && !OWN.includes(code));
  assert.deepEqual(dead, []);
});
