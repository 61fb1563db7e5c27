// Unit tests of the municipal survey's results page's pure logic
// (static-site/kommuneundersokelse/logic.js), no browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { byRole, contrast, percent, rows, sentence, shareWords } from '../../static-site/kommuneundersokelse/logic.js';

test('a share reads as the nearest simple fraction, with the noun in each language', () => {
  assert.equal(shareWords(8, 10), 'åtte av ti kommuner');
  assert.equal(shareWords(160, 240), 'to av tre kommuner');
  assert.equal(shareWords(50, 250), 'en av fem kommuner');
  assert.equal(shareWords(3, 4), 'tre av fire kommuner');
  assert.equal(shareWords(72, 100), 'sju av ti kommuner');
  assert.equal(shareWords(50, 250, 'nn'), 'ein av fem kommunar');
  assert.equal(shareWords(8, 10, 'en'), 'eight in ten municipalities');
  assert.equal(shareWords(8, 10, 'nb', { noun: false }), 'åtte av ti');
});

test('the ends and the middle have words of their own', () => {
  assert.equal(shareWords(0, 12), 'ingen kommuner');
  assert.equal(shareWords(12, 12, 'nn'), 'alle kommunane');
  assert.equal(shareWords(97, 100), 'nesten alle kommunene');
  assert.equal(shareWords(2, 100, 'en'), 'almost no municipalities');
  assert.equal(shareWords(51, 100), 'halvparten av kommunene');
  assert.equal(shareWords(1, 0), null, 'nobody answered');
});

test('a sentence puts the share in place and starts with a capital', () => {
  assert.equal(sentence('{share} har resultatmål', 'åtte av ti kommuner'), 'Åtte av ti kommuner har resultatmål');
  assert.equal(sentence('I {share} kjenner direktøren til teamet', 'to av tre kommuner'), 'I to av tre kommuner kjenner direktøren til teamet');
});

test('a figure becomes rows in the question\'s order, «vet ikke» marked', () => {
  const options = [{ value: '1' }, { value: '2' }, { value: '3' }, { value: 'dont_know' }];
  const figure = { n: 8, counts: { 1: 1, 2: 2, 3: 4, dont_know: 1 } };
  assert.deepEqual(rows(figure, options).map((r) => [r.value, r.count, r.percent, r.dontKnow]), [
    ['1', 1, 13, false], ['2', 2, 25, false], ['3', 4, 50, false], ['dont_know', 1, 13, true],
  ]);
  assert.deepEqual(rows({ withheld: true, reason: 'too_few_answers' }, options), []);
  assert.equal(percent(1, 0), null);
});

test('the size bands are contrasted only when they differ clearly and both are published', () => {
  const finding = (large, small) => ({ figures: { NO: { n: 30, count: 15 }, '20000_plus': large, lt_5000: small } });
  assert.deepEqual(contrast(finding({ n: 9, count: 6 }, { n: 10, count: 2 })), { large: 'to av tre', small: 'en av fem' });
  assert.equal(contrast(finding({ n: 9, count: 6 }, { n: 10, count: 6 })), null, 'about the same');
  assert.equal(contrast(finding({ n: 9, count: 6 }, { withheld: true, reason: 'too_few_answers' })), null);
});

test('questions are grouped by role in the questionnaire\'s order, free text kept for the unit', () => {
  const questionnaire = { questions: [
    { id: 'a', role: 'director' }, { id: 'b', role: 'director' }, { id: 'c', role: 'programme' },
  ] };
  const parts = byRole(questionnaire, [{ id: 'a' }, { id: 'c' }]);
  assert.deepEqual(parts.map((p) => [p.role, p.questions.map((q) => [q.question.id, Boolean(q.report)])]), [
    ['director', [['a', true], ['b', false]]],
    ['programme', [['c', true]]],
  ]);
});
