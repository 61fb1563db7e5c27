// Unit tests of the form page's pure logic (static-site/skjema/form.js), no browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { register } from 'node:module';

// form.js imports /logic.js as the browser does: map the site's root for Node.
register('data:text/javascript,' + encodeURIComponent(`
export async function resolve(spec, ctx, next) {
  if (spec.startsWith('/')) return next(new URL('../../static-site' + spec, ${JSON.stringify(import.meta.url)}).href, ctx);
  return next(spec, ctx);
}`));
const { shown, missing, blocks, toggle, length } = await import('../../static-site/skjema/form.js');

const qn = {
  version: 't',
  questions: [
    { id: 'q_partner', type: 'single', required: true, section: 'partner', options: [{ value: 'yes' }, { value: 'no' }] },
    { id: 'q_why', type: 'text', required: true, section: 'partner', max_length: 10, options: [], show_if: { question: 'q_partner', any_of: ['no'] } },
    { id: 'q_m1', type: 'scale', scale: 'degree', required: false, section: 'p', matrix: 'm', options: [{ value: '1' }, { value: 'dont_know' }] },
    { id: 'q_m2', type: 'scale', scale: 'degree', required: false, section: 'p', matrix: 'm', options: [{ value: '1' }, { value: 'dont_know' }] },
    { id: 'q_reach', type: 'multi', required: true, section: 'p', options: [{ value: 'a' }, { value: 'b' }, { value: 'none', exclusive: true }] },
  ],
};

test('routing and what is missing before a submit', () => {
  assert.deepEqual(shown(qn, {}).map((q) => q.id), ['q_partner', 'q_m1', 'q_m2', 'q_reach']);
  assert.deepEqual(missing(qn, {}).map((q) => q.id), ['q_partner', 'q_reach']);
  assert.deepEqual(missing(qn, { q_partner: 'no', q_reach: [] }).map((q) => q.id), ['q_why', 'q_reach']);
  assert.deepEqual(missing(qn, { q_partner: 'yes', q_reach: ['a'] }), []);
});

test('sections hold blocks, and a matrix is one block', () => {
  const s = blocks(qn.questions);
  assert.deepEqual(s.map((x) => x.id), ['partner', 'p']);
  assert.deepEqual(s[1].blocks.map((b) => [b.matrix, b.questions.map((q) => q.id)]), [['m', ['q_m1', 'q_m2']], [null, ['q_reach']]]);
});

test('an exclusive option clears the others and is cleared by them', () => {
  const q = qn.questions[4];
  assert.deepEqual(toggle(q, ['a'], 'b', true), ['a', 'b']);
  assert.deepEqual(toggle(q, ['a', 'b'], 'none', true), ['none']);
  assert.deepEqual(toggle(q, ['none'], 'a', true), ['a']);
  assert.deepEqual(toggle(q, ['a', 'b'], 'a', false), ['b']);
});

test('text length counts characters, as the server does', () => {
  assert.equal(length('  æøå😀  '), 4);
  assert.equal(length(null), 0);
});

test('the form page has every text in bokmål, nynorsk and English', async () => {
  const { readFile } = await import('node:fs/promises');
  const read = async (l) => JSON.parse(await readFile(new URL(`../../static-site/skjema/i18n/${l}.json`, import.meta.url), 'utf8')).strings;
  const [nb, nn, en] = await Promise.all(['nb', 'nn', 'en'].map(read));
  assert.deepEqual(Object.keys(nn).sort(), Object.keys(nb).sort());
  assert.deepEqual(Object.keys(en).sort(), Object.keys(nb).sort());
  for (const [l, s] of [['nb', nb], ['nn', nn], ['en', en]]) {
    for (const [k, v] of Object.entries(s)) assert.ok(v.trim(), `${l} ${k} is empty`);
    for (const k of Object.keys(nb)) {
      const vars = (x) => (x.match(/\{\w+\}/g) || []).sort().join();
      assert.equal(vars(s[k]), vars(nb[k]), `${l} ${k} has the same placeholders`);
    }
  }
  assert.notEqual(nn['form.lead'], nb['form.lead'], 'nynorsk is its own');
});
