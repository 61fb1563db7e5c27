// Audio on the survey page, in headless Chromium, and the manifest
// completeness check, against a local stack whose clips were made by
// tests/with-local-stack.sh (`survey-admin audio generate`, AUDIO_LANGS).
//
// Env: BASE_URL, ACCESS_CODE, SURVEY_ADMIN, AUDIO_LANGS (as with-local-stack.sh sets them).
//
// Clips are observed from outside: an init script wraps HTMLMediaElement.play
// and records each clip's path, how far it played and whether it ended.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { answerFor } from './pages.mjs';

const BASE = (process.env.BASE_URL || 'http://127.0.0.1:8080').replace(/\/$/, '');
const CODE = process.env.ACCESS_CODE || '';
const ADMIN = process.env.SURVEY_ADMIN || '';
const LANGS = (process.env.AUDIO_LANGS ?? 'nb ar').split(/\s+/).filter(Boolean);
const SURVEY = 'local';
// The instructions with audio, as docs/audio.md lists them.
const UI_KEYS = ['ui.start.title', 'ui.start.lead', 'ui.code.label', 'ui.code.hint', 'ui.demo.title', 'ui.demo.lead', 'ui.intro.title', 'ui.intro.anonymous', 'ui.intro.voluntary', 'ui.intro.time', 'ui.intro.headphones',
  'ui.err.required', 'ui.review.title', 'ui.review.lead', 'ui.thanks.title', 'ui.thanks.saved', 'ui.thanks.receipt_about', 'ui.thanks.close',
  'ui.ended.title', 'ui.ended.text', 'ui.ended.nothing_sent'];

let browser;
let qn;
const ui = {};
const texts = {};

const getJSON = async (path) => {
  const r = await fetch(BASE + path);
  assert.equal(r.status, 200, `GET ${path}`);
  return r.json();
};
const version = (text) => createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 12);
const manifest = (lang) => getJSON(`/content/${SURVEY}/audio/${lang}/manifest.json`);
const clipPath = (lang, file) => `/content/${SURVEY}/audio/${lang}/${file}`;

// The texts with audio, computed here from the questionnaire and the bokmål texts.
function neededKeys() {
  const keys = [];
  for (const q of qn.questions) {
    keys.push(`q.${q.id}.text`);
    if (`q.${q.id}.help` in texts.nb) keys.push(`q.${q.id}.help`);
    for (const o of q.options) {
      const own = q.type === 'scale' ? `scale.${q.scale}.${o.value}` : `q.${q.id}.opt.${o.value}`;
      keys.push(own in texts.nb ? own : `opt.${o.value}`);
    }
  }
  return [...new Set(keys), ...UI_KEYS];
}
const sourceOf = (key) => texts.nb[key] ?? ui.nb[key];

const AUDIO_LOG = () => {
  window.__clips = [];
  const play = HTMLMediaElement.prototype.play;
  // Capturing listeners run before the page's own onended, which may already start the next clip.
  const watch = (media) => {
    const log = () => media.__log;
    media.addEventListener('timeupdate', () => { log().played = Math.max(log().played, media.currentTime); }, true);
    media.addEventListener('pause', () => { log().paused = true; }, true);
    media.addEventListener('ended', () => { log().ended = true; log().played = Math.max(log().played, media.currentTime); }, true);
  };
  HTMLMediaElement.prototype.play = function () {
    if (!this.__log) watch(this);
    const read = document.querySelector('.speaking');
    const box = read && read.getBoundingClientRect();
    const inView = !!box && box.top >= -1 && box.bottom <= window.innerHeight + 1;
    this.__log = { path: new URL(this.src).pathname, played: 0, paused: false, ended: false, inView, at: box && [Math.round(box.top), Math.round(box.bottom), window.innerHeight, Math.round(window.scrollY)] };
    window.__clips.push(this.__log);
    return play.call(this);
  };
};
const clipsPlayed = (page) => page.evaluate(() => window.__clips.map((c) => ({ ...c })));
const playing = (page) => page.evaluate(() => [...document.querySelectorAll('.speaking')].length);

async function newPage(lang) {
  const ctx = await browser.newContext({ locale: 'nb-NO', viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
  await ctx.addInitScript(AUDIO_LOG);
  const page = await ctx.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  await page.goto(`${BASE}/?lang=${lang}&code=${encodeURIComponent(CODE)}`);
  await page.getByRole('button', { name: ui[lang]['ui.start'], exact: true }).click();
  await page.waitForFunction((t) => document.querySelector('h1')?.textContent.trim() === t, ui[lang]['ui.intro.title']);
  return page;
}

async function toFirstQuestion(page, lang) {
  await page.getByRole('button', { name: ui[lang]['ui.intro.begin'], exact: true }).click();
  const first = texts[lang][`q.${qn.questions[0].id}.text`];
  await page.waitForFunction((t) => document.querySelector('h1')?.textContent.trim() === t, first);
}

// Waits until `n` clips have ended, in the order played.
async function ended(page, n, timeout = 30000) {
  await page.waitForFunction((k) => window.__clips.filter((c) => c.ended).length >= k, n, { timeout }).catch(async (e) => {
    console.log(JSON.stringify(await clipsPlayed(page), null, 1));
    throw e;
  });
  return (await clipsPlayed(page)).filter((c) => c.ended);
}

before(async () => {
  assert.ok(CODE, 'ACCESS_CODE must be set');
  assert.ok(LANGS.includes('nb') && LANGS.includes('ar'), `AUDIO_LANGS must include nb and ar (got "${LANGS.join(' ')}"); install espeak-ng and lame with make audio-tools`);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  qn = await getJSON(`/api/surveys/${SURVEY}/questionnaire`);
  for (const lang of ['nb', 'ar', 'ti']) {
    ui[lang] = (await getJSON(`/i18n/${lang}.json`)).strings;
    texts[lang] = (await getJSON(`/content/${SURVEY}/i18n/${lang}.json`)).strings;
  }
});

after(async () => {
  await browser?.close();
});

test('manifest completeness: every text has a current, stored clip or is reported missing, per language', async () => {
  const keys = neededKeys();
  const report = JSON.parse(execSync(`${ADMIN} audio coverage --survey ${SURVEY} --json`, { encoding: 'utf8' }));
  const byLang = new Map(report.languages.map((l) => [l.lang, l]));
  for (const lang of LANGS) {
    const m = await manifest(lang);
    assert.equal(m.lang, lang);
    for (const key of keys) {
      const clip = m.clips[key];
      assert.ok(clip, `${lang} ${key} has no clip`);
      assert.equal(clip.source_version, version(sourceOf(key)), `${lang} ${key} is made for the current source text`);
      assert.equal(clip.origin, 'synthetic');
    }
    const cov = byLang.get(lang);
    assert.deepEqual([...cov.synthetic].sort(), [...keys].sort(), `${lang}: the coverage report lists the same texts`);
    assert.deepEqual([cov.recorded.length, cov.stale.length, cov.missing.length], [0, 0, 0]);
  }
  // Every clip named is served, as MP3, and is the file its hash names.
  const m = await manifest('ar');
  for (const clip of new Map(Object.values(m.clips).map((c) => [c.file, c])).values()) {
    const r = await fetch(BASE + clipPath('ar', clip.file));
    assert.equal(r.status, 200, clip.file);
    assert.equal(r.headers.get('content-type'), 'audio/mpeg');
    assert.match(r.headers.get('cache-control'), /immutable/);
    const hash = createHash('sha256').update(Buffer.from(await r.arrayBuffer())).digest('hex');
    assert.equal(hash, clip.hash);
    assert.equal(clip.file, hash.slice(0, 16) + '.mp3');
  }
  // Tigrinya: espeak-ng has no voice, so nothing is faked; all of it is reported missing.
  const ti = byLang.get('ti');
  assert.equal(ti.voice, null);
  assert.deepEqual([...ti.missing].sort(), [...keys].sort());
  assert.equal(ti.synthetic.length + ti.recorded.length, 0);
  assert.equal((await fetch(`${BASE}/content/${SURVEY}/audio/ti/manifest.json`)).status, 404);
  assert.equal(ti.sound, 'none', 'a language with no voice is a gap, not 0 %');
  // coverage.json, which the classroom sheet reads, says the same for every language of the wave.
  const summary = await getJSON(`/content/${SURVEY}/audio/coverage.json`);
  const wave = await getJSON(`/api/surveys/${SURVEY}`);
  assert.deepEqual(summary.languages.map((l) => l.lang).sort(), wave.languages.map((l) => l.code).sort());
  for (const l of summary.languages) {
    assert.equal(l.sound, LANGS.includes(l.lang) ? 'voice' : 'none', l.lang);
    assert.equal(l.texts, keys.length, l.lang);
  }
});

// The start and intro screens of `lang`, with the manifest the page is given (null: as stored).
async function introOf(lang, manifestBody = null) {
  ui[lang] ??= (await getJSON(`/i18n/${lang}.json`)).strings;
  const ctx = await browser.newContext({ locale: 'nb-NO', viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
  if (manifestBody) await ctx.route(`**/audio/${lang}/manifest.json`, (route) => route.fulfill({ json: manifestBody }));
  const page = await ctx.newPage();
  await page.goto(`${BASE}/?lang=${lang}&code=${encodeURIComponent(CODE)}`);
  // Audio is settled once the screen has either its note or its read-aloud bar.
  const settled = () => page.locator('main .sound-note, main .audio-bar').first().waitFor();
  await settled();
  const notes = await page.locator('main .sound-note').allTextContents();
  await page.getByRole('button', { name: ui[lang]['ui.start'], exact: true }).click();
  await page.waitForFunction((t) => document.querySelector('h1')?.textContent.trim() === t, ui[lang]['ui.intro.title']);
  await settled();
  return { page, startNote: notes.length ? notes[0].trim() : null };
}

test('a language without a voice says so in that language on the start and intro screens, and asks for no headphones', async () => {
  const wave = await getJSON(`/api/surveys/${SURVEY}`);
  const silent = wave.languages.map((l) => l.code).filter((l) => !LANGS.includes(l));
  assert.ok(silent.includes('ti') && silent.includes('so'), silent.join(' '));
  for (const lang of silent) {
    const { page, startNote } = await introOf(lang);
    assert.equal(startNote, ui[lang]['ui.audio.none'], `${lang}: the start screen says there is no sound`);
    assert.equal((await page.locator('main .sound-note').textContent()).trim(), ui[lang]['ui.audio.none'], `${lang}: the intro says it`);
    assert.equal(await page.locator('li[data-key="ui.intro.headphones"]').count(), 0, `${lang}: no headphone line`);
    assert.equal(await page.locator('main button.play').count(), 0, lang);
    await page.context().close();
  }
  for (const lang of LANGS) {
    const { page, startNote } = await introOf(lang);
    assert.equal(startNote, null, `${lang} has sound: no note`);
    assert.equal(await page.locator('li[data-key="ui.intro.headphones"]').count(), 1, `${lang}: the headphone line stays`);
    await page.context().close();
  }
});

test('a language read by the voice of a neighbouring language (Dari by Persian, nynorsk by bokmål) says so, and its clips play', async () => {
  const nb = await manifest('nb');
  for (const [lang, neighbour] of [['prs', 'fa'], ['nn', 'nb']]) {
    const { page, startNote } = await introOf(lang, { lang, close_voice: neighbour, clips: nb.clips });
    assert.equal(startNote, ui[lang]['ui.audio.close_voice'], `${lang}: the start screen names the machine voice`);
    assert.equal((await page.locator('main .sound-note').textContent()).trim(), ui[lang]['ui.audio.close_voice'], lang);
    assert.equal(await page.locator('li[data-key="ui.intro.headphones"]').count(), 1, `${lang}: there is sound, so headphones help`);
    assert.ok(await page.locator('main button.play').count() > 0, `${lang}: its texts have play buttons`);
    await page.context().close();
  }
});

test('a play button beside each text plays its clip; nothing plays by itself', async () => {
  const page = await newPage('nb');
  const m = await manifest('nb');
  const listen = page.getByRole('button', { name: ui.nb['ui.audio.play'], exact: true });
  // The intro: one button per instruction, and the read-aloud switch, off.
  await listen.first().waitFor();
  assert.equal(await listen.count(), 5, 'the title and the four points');
  const toggle = page.getByRole('button', { name: ui.nb['ui.audio.read_aloud'] });
  assert.equal(await toggle.getAttribute('aria-pressed'), 'false');

  await toFirstQuestion(page, 'nb');
  const q = qn.questions[0];
  // One speaker per thing to read: the question's also reads its help.
  await page.waitForFunction((n) => document.querySelectorAll('main button.play').length === n, 1 + q.options.length);
  const targets = await page.$$eval('main button.play', (l) => l.map((b) => b.getAttribute('aria-describedby')));
  assert.equal(new Set(targets).size, targets.length, `no two speakers for the same text: ${targets}`);
  assert.deepEqual(await clipsPlayed(page), [], 'nothing played by itself');

  // The question's button is described by the question.
  const h1 = page.locator('h1');
  const questionButton = page.locator(`main button.play[aria-describedby~="${await h1.getAttribute('id')}"]`);
  const [hb, bb] = [await h1.boundingBox(), await questionButton.boundingBox()];
  assert.ok(bb.y < hb.y + hb.height && bb.y + bb.height > hb.y, 'the speaker sits beside the heading, not on a row below it');
  await questionButton.click();
  const [clip, helpClip] = await ended(page, 2);
  assert.equal(clip.path, clipPath('nb', m.clips[`q.${q.id}.text`].file));
  assert.equal(helpClip.path, clipPath('nb', m.clips[`q.${q.id}.help`].file), 'then its help');
  assert.ok(clip.played > 0.3, `the clip played through (${clip.played} s)`);

  // An option's button plays that option, and replays it.
  const option = page.locator('main .audio-row').filter({ hasText: texts.nb[`q.${q.id}.opt.${q.options[1].value}`] });
  await option.locator('button.play').click();
  await option.locator('button.play').click();
  const all = await ended(page, 3);
  assert.equal(all[2].path, clipPath('nb', m.clips[`q.${q.id}.opt.${q.options[1].value}`].file));
  // Answering still works as before, by the option's name.
  await page.getByRole('radio', { name: texts.nb[`q.${q.id}.opt.${q.options[1].value}`], exact: true }).check();
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('read aloud (ar) plays the question, then each option in turn; stop and navigation end it', async () => {
  const page = await newPage('ar');
  const m = await manifest('ar');
  await toFirstQuestion(page, 'ar');
  const q = qn.questions[0];
  const toggle = page.getByRole('button', { name: ui.ar['ui.audio.read_aloud'] });
  assert.equal(await page.getByRole('button', { name: ui.ar['ui.audio.play'], exact: true }).count(), 1 + q.options.length, 'buttons named in Arabic');
  await toggle.click();
  assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
  const order = [`q.${q.id}.text`, `q.${q.id}.help`, ...q.options.map((o) => `q.${q.id}.opt.${o.value}`)];
  const heard = await ended(page, order.length, 60000);
  assert.deepEqual(heard.map((c) => c.path), order.map((k) => clipPath('ar', m.clips[k].file)), 'question, help, then options in order');

  // On the next screen read-aloud goes on by itself; Stop ends it.
  await page.getByRole('radio').first().check();
  await page.locator('main .nav .btn.primary').click();
  const second = qn.questions[1];
  await page.waitForFunction((t) => document.querySelector('h1')?.textContent.trim() === t, texts.ar[`q.${second.id}.text`]);
  await page.waitForFunction((p) => window.__clips.some((c) => c.path === p && c.played > 0), clipPath('ar', m.clips[`q.${second.id}.text`].file));
  const stop = page.getByRole('button', { name: ui.ar['ui.audio.stop'] });
  await stop.click();
  const count = (await clipsPlayed(page)).length;
  await page.waitForTimeout(1500);
  assert.equal((await clipsPlayed(page)).length, count, 'nothing more after Stop');
  assert.equal(await playing(page), 0);
  assert.equal(await stop.isHidden(), true, 'no stop button when nothing plays');

  // With read-aloud off, going back stops a clip mid-way and plays nothing else.
  await toggle.click();
  assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
  const secondPath = clipPath('ar', m.clips[`q.${second.id}.text`].file);
  await page.locator('main .q-audio button.play').click();
  await page.waitForFunction(() => window.__clips.at(-1).played > 0);
  await page.locator('main .nav .btn:not(.primary)').click();
  await page.waitForFunction((t) => document.querySelector('h1')?.textContent.trim() === t, texts.ar[`q.${q.id}.text`]);
  await page.waitForFunction(() => window.__clips.at(-1).paused);
  const cut = (await clipsPlayed(page)).at(-1);
  assert.equal(cut.path, secondPath);
  assert.ok(cut.paused && !cut.ended, 'the clip stopped when the screen changed');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('on a scale question every speaker sits level with its option, "Vet ikke" too', async () => {
  const page = await newPage('nb');
  await toFirstQuestion(page, 'nb');
  for (;;) {
    const h = (await page.locator('main h1').textContent()).trim();
    const q = qn.questions.find((x) => texts.nb[`q.${x.id}.text`] === h);
    if (q.type === 'scale') break;
    const pick = q.options.find((o) => !o.ends_survey && o.value !== 'none' && o.value !== 'dont_know').value;
    await page.locator(`main input[name="${q.id}"][value="${pick}"]`).check();
    await page.locator('main form button[type=submit]').click();
    await page.waitForFunction((t) => document.querySelector('main h1')?.textContent.trim() !== t, h);
  }
  await page.locator('main label.opt.dk').waitFor();
  const offsets = await page.$$eval('main .audio-row:has(> label.opt)', (rows) => rows.map((r) => {
    const [label, button] = [r.querySelector('label.opt').getBoundingClientRect(), r.querySelector('button.play').getBoundingClientRect()];
    return { dk: !!r.querySelector('.dk'), off: Math.abs((label.top + label.bottom) / 2 - (button.top + button.bottom) / 2) };
  }));
  assert.ok(offsets.some((o) => o.dk), 'the scale has "Vet ikke" with its speaker');
  const worst = Math.max(...offsets.map((o) => o.off));
  const dk = offsets.find((o) => o.dk).off;
  assert.ok(Math.abs(dk - offsets[0].off) < 2, `"Vet ikke"'s speaker is placed as the others are (${dk} vs ${offsets[0].off} px)`);
  assert.ok(worst < 16, `speakers level with their options: ${JSON.stringify(offsets)}`);
  await page.context().close();
});

test('read aloud on a short phone screen brings each text into view as it is read', async () => {
  const ctx = await browser.newContext({ locale: 'nb-NO', viewport: { width: 360, height: 420 }, isMobile: true, hasTouch: true });
  await ctx.addInitScript(AUDIO_LOG);
  const page = await ctx.newPage();
  await page.goto(`${BASE}/?lang=nb&code=${encodeURIComponent(CODE)}`);
  await page.getByRole('button', { name: ui.nb['ui.start'], exact: true }).click();
  await page.waitForFunction((t) => document.querySelector('h1')?.textContent.trim() === t, ui.nb['ui.intro.title']);
  await toFirstQuestion(page, 'nb');
  const q = qn.questions[0];
  const last = page.locator('main label.opt').last();
  const below = await last.evaluate((e) => e.getBoundingClientRect().top >= window.innerHeight);
  assert.ok(below, 'the last option starts below the screen, so reading it needs a scroll');
  await page.getByRole('button', { name: ui.nb['ui.audio.read_aloud'] }).click();
  const heard = await ended(page, 2 + q.options.length, 60000);
  assert.deepEqual(heard.map((c) => c.inView), heard.map(() => true), `every text was in view while read: ${JSON.stringify(heard.map((c) => c.at))}`);
  await ctx.close();
});

test('the clips loaded again once the code names the wave do not cut off a clip that plays', async () => {
  // No service worker: it would answer the manifest itself, past the route below.
  const ctx = await browser.newContext({ locale: 'nb-NO', viewport: { width: 360, height: 740 }, serviceWorkers: 'block' });
  const page = await ctx.newPage();
  // The start screen loads the language's clips; the survey loads them again once the code
  // names the wave. That second load is held back until a clip plays, as on a slow line.
  let hold = false;
  let held = null;
  let release;
  const released = new Promise((r) => { release = r; });
  await page.route('**/audio/nb/manifest.json', async (route) => {
    if (hold) { held = route.request().url(); await released; }
    await route.continue();
  });
  await page.goto(`${BASE}/?lang=nb&code=${encodeURIComponent(CODE)}`);
  await page.locator('main .play').first().waitFor();
  hold = true;
  await page.getByRole('button', { name: ui.nb['ui.start'], exact: true }).click();
  await page.waitForFunction((t) => document.querySelector('h1')?.textContent.trim() === t, ui.nb['ui.intro.title']);
  for (let i = 0; !held; i++) {
    assert.ok(i < 200, 'the survey loads the clips again');
    await new Promise((r) => setTimeout(r, 50));
  }
  const stop = page.getByRole('button', { name: ui.nb['ui.audio.stop'] });
  await page.locator('main .play').first().click();
  await stop.waitFor();
  const loaded = page.waitForEvent('requestfinished', (r) => r.url() === held);
  release();
  await loaded;
  // The page reads the manifest's body and sets up within a moment of it arriving.
  await page.evaluate(() => new Promise((r) => setTimeout(r, 500)));
  assert.ok(await stop.isVisible(), 'the clip still plays: Stop is still shown');
  assert.equal(await page.evaluate(() => document.querySelectorAll('main .speaking').length), 1, 'and its text is still marked');
  await ctx.close();
});

// With read-aloud on, on a 360 x 740 phone: where the read-aloud bar sits, and how many of
// the question's options are in view from the top of the screen.
const LAYOUT = () => {
  const doc = (e) => { const r = e.getBoundingClientRect(); return { top: r.top + scrollY, bottom: r.bottom + scrollY }; };
  const opts = [...document.querySelectorAll('main label.opt')].map(doc);
  return {
    bar: doc(document.querySelector('.audio-bar')),
    progress: doc(document.querySelector('.progress')),
    count: doc(document.querySelector('.progress-count')),
    inView: opts.filter((o) => o.bottom <= innerHeight).length,
    options: opts.length,
  };
};

test('read aloud on a phone: the bar shares the progress row, and every question keeps three options in view', async () => {
  for (const lang of ['nb', 'ar']) {
    const ctx = await browser.newContext({ locale: 'nb-NO', viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
    await ctx.addInitScript(() => sessionStorage.setItem('brukerundersokelse.read_aloud', '1'));
    const page = await ctx.newPage();
    await page.goto(`${BASE}/?lang=${lang}&code=${encodeURIComponent(CODE)}`);
    await page.getByRole('button', { name: ui[lang]['ui.start'], exact: true }).click();
    await page.waitForFunction((t) => document.querySelector('h1')?.textContent.trim() === t, ui[lang]['ui.intro.title']);
    await toFirstQuestion(page, lang);
    // Stop shows while a clip plays and hides after, without moving the toggle or the progress.
    const box = () => page.evaluate(() => [...document.querySelectorAll('.read-aloud, .progress progress')].map((e) => JSON.stringify(e.getBoundingClientRect())));
    const stop = page.getByRole('button', { name: ui[lang]['ui.audio.stop'] });
    await page.locator('main .play').first().click(); // a clip plays for sure, whatever read-aloud did so far
    await stop.waitFor();
    const playingBoxes = await box();
    await stop.click();
    await stop.waitFor({ state: 'hidden' });
    assert.deepEqual(await box(), playingBoxes, `${lang}: nothing moves when stop hides`);
    const seen = [];
    while (await page.locator('main fieldset').count()) {
      const id = await page.locator('main fieldset input').first().getAttribute('name');
      await page.locator('.progress > .audio-bar').waitFor();
      const l = await page.evaluate(LAYOUT);
      assert.ok(l.bar.top < l.count.bottom && l.bar.bottom > l.count.top, `${lang} ${id}: the bar is beside the count ${JSON.stringify(l)}`);
      assert.ok(l.inView >= Math.min(3, l.options), `${lang} ${id}: ${l.inView} of ${l.options} options in view`);
      seen.push(id);
      const q = qn.questions.find((x) => x.id === id);
      for (const v of [].concat(answerFor(q))) await page.locator(`main input[name="${id}"][value="${v}"]`).check();
      await page.locator('main form button[type=submit]').click();
      await page.waitForFunction((n) => !document.querySelector(`main input[name="${n}"]`), id);
    }
    assert.ok(seen.length >= 30, `${lang}: walked ${seen.length} questions`);
    await ctx.close();
  }
});

test('the start screen, before any code, speaks with the current wave\'s clips', async () => {
  const ctx = await browser.newContext({ locale: 'nb-NO', viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
  await ctx.addInitScript(AUDIO_LOG);
  const page = await ctx.newPage();
  await page.goto(`${BASE}/?lang=nb`);
  const listen = page.getByRole('button', { name: ui.nb['ui.audio.play'], exact: true });
  await listen.first().waitFor();
  assert.equal(await listen.count(), 3, 'the title, the lead, and the code label with its hint');
  const lead = await page.locator('main p.lead').getAttribute('id');
  await page.locator(`main button.play[aria-describedby="${lead}"]`).click();
  const [clip] = await ended(page, 1);
  assert.equal(clip.path, clipPath('nb', (await manifest('nb')).clips['ui.start.lead'].file));
  await ctx.close();
});

test('a language without clips shows no audio controls', async () => {
  const page = await newPage('ti');
  await toFirstQuestion(page, 'ti');
  await page.waitForTimeout(500);
  assert.equal(await page.locator('main button.play, main .audio-bar').count(), 0);
  await page.context().close();
});

test('audio add stores a recording for one text; the page offers exactly that clip; bad input is refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'audio-'));
  const admin = (args) => spawnSync('sh', ['-c', `${ADMIN} ${args}`], { encoding: 'utf8' });
  try {
    // A real MP3 to stand for a person's recording in Tigrinya.
    const nb = await manifest('nb');
    const recording = join(dir, 'opptak.mp3');
    writeFileSync(recording, Buffer.from(await (await fetch(BASE + clipPath('nb', nb.clips['q.q_group.text'].file))).arrayBuffer()));
    const notMp3 = join(dir, 'notat.txt');
    writeFileSync(notMp3, 'ikke lyd');
    for (const [args, why] of [
      [`--lang ti --key q.q_group.text ${notMp3}`, /ikke en MP3-fil/],
      [`--lang ti --key q.q_nope.text ${recording}`, /ikke en tekst med lyd/],
      [`--lang xx --key q.q_group.text ${recording}`, /har ikke språket/],
    ]) {
      const r = admin(`audio add --survey ${SURVEY} ${args}`);
      assert.notEqual(r.status, 0, args);
      assert.match(r.stderr, why);
    }
    const added = admin(`audio add --survey ${SURVEY} --lang ti --key q.q_group.text ${recording}`);
    assert.equal(added.status, 0, added.stderr);

    const m = await manifest('ti');
    assert.deepEqual(Object.keys(m.clips), ['q.q_group.text']);
    assert.equal(m.clips['q.q_group.text'].origin, 'recorded');
    assert.equal(m.clips['q.q_group.text'].source_version, version(texts.nb['q.q_group.text']));
    const report = JSON.parse(admin(`audio coverage --survey ${SURVEY} --json`).stdout);
    const ti = report.languages.find((l) => l.lang === 'ti');
    assert.deepEqual(ti.recorded, ['q.q_group.text']);
    assert.equal(ti.missing.length, neededKeys().length - 1);

    const page = await newPage('ti');
    await toFirstQuestion(page, 'ti');
    await page.locator('main .q-audio button.play').waitFor();
    assert.equal(await page.locator('main button.play').count(), 1, 'a button only where there is a clip');
    await page.locator('main .q-audio button.play').click();
    const [clip] = await ended(page, 1);
    assert.equal(clip.path, clipPath('ti', m.clips['q.q_group.text'].file));
    await page.context().close();
  } finally {
    admin(`audio remove --survey ${SURVEY} --lang ti --key q.q_group.text`);
    rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual((await manifest('ti')).clips, {}, 'removed again');
});

test('offline: a clip once loaded still plays, from the service worker cache', async () => {
  const page = await newPage('nb');
  await page.waitForFunction(async () => (await navigator.serviceWorker.ready) && !!navigator.serviceWorker.controller, null, { timeout: 10000 });
  await toFirstQuestion(page, 'nb');
  const m = await manifest('nb');
  const q = qn.questions[0];
  const path = clipPath('nb', m.clips[`q.${q.id}.text`].file);
  const button = page.locator('main .q-audio button.play');
  await button.click();
  await ended(page, 1);
  assert.ok(await page.evaluate(async (p) => !!(await (await caches.open('audio-v1')).match(p)), path), 'the clip is in the cache');

  await page.context().setOffline(true);
  assert.equal(await page.evaluate(() => fetch('/api/health').then(() => 'online', () => 'offline')), 'offline');
  await button.click();
  const [, again] = await ended(page, 2);
  assert.equal(again.path, path);
  assert.ok(again.played > 0.3);
  await page.context().close();
});
