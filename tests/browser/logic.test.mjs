// Unit tests of the page's pure survey logic (static-site/logic.js), no browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ulid, visible, answersToSend, sanitize, endsSurvey, retryDelay } from '../../static-site/logic.js';

const qn = {
  version: 't',
  questions: [
    { id: 'q_group', type: 'single', required: true, options: [{ value: 'training' }, { value: 'intro' }, { value: 'both' }] },
    { id: 'q_leave', type: 'single', required: true, options: [{ value: 'no' }, { value: 'yes', ends_survey: true }] },
    { id: 'q_adv', type: 'scale', scale: 'agree', required: true, show_if: { question: 'q_group', any_of: ['intro', 'both'] }, options: [{ value: '1' }, { value: 'dont_know' }] },
    { id: 'q_adv_more', type: 'single', required: false, show_if: { question: 'q_adv', any_of: ['1'] }, options: [{ value: 'x' }] },
    { id: 'q_dev', type: 'multi', required: false, options: [{ value: 'pc' }, { value: 'phone' }] },
    { id: 'q_pc', type: 'single', required: false, show_if: { question: 'q_dev', any_of: ['pc'] }, options: [{ value: 'x' }] },
  ],
};
const ids = (a) => visible(qn, a).map((q) => q.id);

test('ulid: 26 Crockford chars, time first, sortable', () => {
  const id = ulid(1700000000000, new Uint8Array(16).fill(255));
  assert.match(id, /^[0-9A-HJKMNP-TV-Z]{26}$/);
  assert.equal(id.slice(0, 10), '01HF7YAT00'); // 1700000000000 in base32
  assert.equal(id.slice(10), 'Z'.repeat(16));
  assert.ok(ulid(1700000000001, new Uint8Array(16)) > ulid(1700000000000, new Uint8Array(16).fill(255)));
  assert.notEqual(ulid(), ulid());
});

test('show_if: by a single answer, by a multi answer, and hidden when its question is hidden', () => {
  assert.deepEqual(ids({}), ['q_group', 'q_leave', 'q_dev']);
  assert.deepEqual(ids({ q_group: 'intro' }), ['q_group', 'q_leave', 'q_adv', 'q_dev']);
  assert.deepEqual(ids({ q_group: 'intro', q_adv: '1' }), ['q_group', 'q_leave', 'q_adv', 'q_adv_more', 'q_dev']);
  assert.deepEqual(ids({ q_group: 'training', q_adv: '1' }), ['q_group', 'q_leave', 'q_dev']);
  assert.deepEqual(ids({ q_dev: ['phone', 'pc'] }), ['q_group', 'q_leave', 'q_dev', 'q_pc']);
});

test('answers to hidden questions are never sent', () => {
  const a = { q_group: 'training', q_leave: 'no', q_adv: '1', q_adv_more: 'x', q_dev: ['phone'], q_pc: 'x' };
  assert.deepEqual(answersToSend(qn, a), { q_group: 'training', q_leave: 'no', q_dev: ['phone'] });
});

test('sanitize drops unknown questions and values', () => {
  assert.deepEqual(sanitize(qn, { q_gone: '1', q_group: 'nope', q_leave: 'no', q_dev: ['pc', 'fax'], q_adv: 3 }), { q_leave: 'no', q_dev: ['pc'] });
});

test('ends_survey options', () => {
  assert.equal(endsSurvey(qn.questions[1], 'yes'), true);
  assert.equal(endsSurvey(qn.questions[1], 'no'), false);
  assert.equal(endsSurvey(qn.questions[1], undefined), false);
});

test('retry delay: Retry-After wins, else exponential backoff capped at 30 s', () => {
  assert.equal(retryDelay(0, '3'), 3000);
  assert.equal(retryDelay(5, new Date(10000).toUTCString(), 4000), 6000);
  assert.equal(retryDelay(0, null, 0, 1), 1000);
  assert.equal(retryDelay(3, null, 0, 1), 8000);
  assert.equal(retryDelay(12, null, 0, 1), 30000);
  assert.ok(retryDelay(12, null, 0, 0) >= 22500);
});
