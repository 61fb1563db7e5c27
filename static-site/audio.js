// Audio for the survey page, loaded only once a wave is known (app.js imports
// it lazily, so the first load stays small).
//
// - A play button beside every text with a clip in the language's manifest
//   (content/{survey}/audio/{lang}/manifest.json); no clip, no button.
// - Nothing plays by itself (WCAG 1.4.2) unless the participant turns on
//   "read aloud", which reads the screen: the question, then the options in
//   turn, with a stop button while it plays.
// - Any audio stops when the screen changes. Failures are silent: the survey
//   never waits for audio.
// - Only the next clip in the read-aloud queue is fetched ahead.
// - A service worker (sw.js) keeps the app and the clips once fetched, so
//   audio works offline once loaded.
// - Where the language has no clips, the start and intro screens say so in
//   that language and drop the headphone line; where a neighbour's voice reads
//   it (the manifest's close_voice), they say that.
import { t, el } from './i18n.js';

const MODE_KEY = 'brukerundersokelse.read_aloud';
const ICON = '<svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false"><path fill="currentColor" d="M3 9v6h4l5 5V4L7 9H3zm13.5 3A4.5 4.5 0 0 0 14 8v8a4.5 4.5 0 0 0 2.5-4zM14 3.2v2.1a7 7 0 0 1 0 13.4v2.1a9 9 0 0 0 0-17.6z"/></svg>';
const STOP_ICON = '<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false"><rect x="5" y="5" width="14" height="14" rx="2" fill="currentColor"/></svg>';

const main = document.getElementById('main');
const player = new Audio();
player.preload = 'none';

let base = null; // content/{survey}/audio/{lang}/
let clips = {}; // key -> {file, ...}
let loading = null; // the manifest being fetched: {survey, lang}
let queue = []; // read-aloud: elements still to read
let bar = null;
let ids = 0;
let readAloud = false;
let sound = null; // 'voice', 'close_voice' or 'none' once the manifest was asked for
try { readAloud = sessionStorage.getItem(MODE_KEY) === '1'; } catch { /* private mode */ }

const urlOf = (key) => base + clips[key].file;

// Marks the text being read; read-aloud also brings it into view (at once: no
// animation to sit through, whatever the motion setting).
function mark(e, on, follow) {
  const shown = e.closest('label.opt') || e;
  shown.classList.toggle('speaking', on);
  if (on && follow) shown.scrollIntoView({ block: 'nearest', inline: 'nearest' });
}

function halt() {
  player.onended = null;
  player.onerror = null;
  player.pause();
  for (const e of main.querySelectorAll('.speaking')) e.classList.remove('speaking');
}

function stop() {
  queue = [];
  halt();
  paintBar(false);
}

// Plays one text's clip, then `next` (the read-aloud queue), also when it fails.
function playClip(e, next) {
  halt();
  const done = () => {
    if (player.onended !== done) return;
    player.onended = null;
    player.onerror = null;
    mark(e, false);
    if (next) next();
    else paintBar(false);
  };
  player.onended = done;
  player.onerror = done;
  player.src = urlOf(e.dataset.key);
  mark(e, true, !!next);
  paintBar(true);
  const p = player.play();
  if (p) p.catch(done);
}

function readNext() {
  const e = queue.shift();
  if (!e || !e.isConnected) return stop();
  if (queue[0]) prefetch(queue[0].dataset.key);
  playClip(e, readNext);
}

function prefetch(key) {
  fetch(urlOf(key)).catch(() => { /* offline: playing it fails later, silently */ });
}

// The texts of the current screen that have clips, in reading order.
const texts = () => [...main.querySelectorAll('[data-key]')].filter((e) => clips[e.dataset.key] && !e.closest('.audio-bar'));

function readScreen() {
  stop();
  queue = texts().filter((e) => !e.closest('details:not([open])'));
  readNext();
}

function paintBar(playing) {
  if (!bar) return;
  bar.querySelector('.read-aloud').setAttribute('aria-pressed', String(readAloud));
  bar.querySelector('.stop').classList.toggle('idle', !playing);
}

function makeBar() {
  const toggle = el('button', 'btn read-aloud', { type: 'button', 'aria-pressed': String(readAloud) });
  toggle.innerHTML = ICON;
  toggle.append(el('span', null, null, [t('ui.audio.read_aloud')]));
  toggle.onclick = () => {
    readAloud = !readAloud;
    try { sessionStorage.setItem(MODE_KEY, readAloud ? '1' : '0'); } catch { /* private mode */ }
    if (readAloud) readScreen();
    else stop();
  };
  // Stop is a square sign with its word as its name: the bar then fits beside the progress on a phone.
  const halt = el('button', 'btn stop idle', { type: 'button', 'aria-label': t('ui.audio.stop'), title: t('ui.audio.stop') });
  halt.innerHTML = STOP_ICON;
  halt.onclick = () => { stop(); toggle.focus(); };
  return el('div', 'audio-bar', null, [toggle, halt]);
}

// A text read together with the one before it, under one button: a question's
// help after the question, the code field's hint after its label.
const COMPANION = (key) => (/^q\..+\.text$/.test(key) ? key.replace(/\.text$/, '.help') : key === 'ui.code.label' ? 'ui.code.hint' : null);

function playButton(e, companion) {
  for (const x of [e, companion]) if (x && !x.id) x.id = 'aud-' + ++ids;
  const described = companion ? `${e.id} ${companion.id}` : e.id;
  const b = el('button', 'play', { type: 'button', 'aria-label': t('ui.audio.play'), 'aria-describedby': described });
  b.innerHTML = ICON;
  b.onclick = () => { stop(); playClip(e, companion ? () => playClip(companion) : undefined); };
  return b;
}

// On the start and intro screens: no sound (no headphone line then), or a neighbour's voice.
function noteSound() {
  if (sound !== 'none' && sound !== 'close_voice') return;
  if (sound === 'none') for (const li of main.querySelectorAll('li[data-key="ui.intro.headphones"]')) li.remove();
  const heading = main.querySelector('h1[data-key="ui.start.title"], h1[data-key="ui.intro.title"]');
  if (!heading || main.querySelector('.sound-note')) return;
  const key = sound === 'none' ? 'ui.audio.none' : 'ui.audio.close_voice';
  heading.after(el('p', 'sound-note', { 'data-note': key }, [t(key)]));
}

// Puts `host` and its play button `b` in a row marked `mark` (an audio-row),
// made once and kept when the language changes and the buttons come again.
function inRow(host, mark, b) {
  let row = host.parentElement;
  if (!row.classList.contains(mark)) {
    row = el('div', mark === 'audio-row' ? 'audio-row' : `audio-row ${mark}`);
    host.replaceWith(row);
    row.append(host);
  }
  row.append(b);
}

// Adds a play button beside each text with a clip, keeping the focus where it is.
function decorate() {
  noteSound();
  const focused = document.activeElement;
  const found = texts();
  const byKey = new Map(found.map((e) => [e.dataset.key, e]));
  const companions = new Set(found.map((e) => byKey.get(COMPANION(e.dataset.key))).filter(Boolean));
  for (const e of found) {
    if (e.dataset.audio || companions.has(e)) continue;
    e.dataset.audio = '1';
    const b = playButton(e, byKey.get(COMPANION(e.dataset.key)));
    if (e.closest('legend')) {
      // The question: its speaker beside the heading, on the same row.
      inRow(e, 'q-audio', b);
    } else if (e.tagName === 'LI') {
      // The list keeps its bullet: the text and its button are a row inside the item.
      const text = el('span');
      text.append(...e.childNodes);
      e.append(el('div', 'audio-row', null, [text, b]));
    } else if (!e.closest('label') && e.tagName === 'SPAN') {
      e.append(' ', b);
    } else {
      // An option's label, a heading or a paragraph: in a row with its button.
      inRow(e.closest('label') || e, 'audio-row', b);
    }
  }
  if (found.length && !(bar && bar.isConnected)) {
    bar = makeBar();
    // On a question the bar shares the progress row, so the options stay in view on a phone.
    const progress = main.querySelector('.progress');
    if (progress) progress.append(bar);
    else main.prepend(bar);
  }
  paintBar(!player.paused);
  if (focused && focused !== document.activeElement && focused.isConnected) focused.focus({ preventScroll: true });
  observer.takeRecords(); // our own changes are not a new screen
  return found.length > 0;
}

// The app replaced the screen: stop what plays, add buttons, read it if read-aloud is on.
const observer = new MutationObserver((records) => {
  if (records.some((r) => r.target === main && r.removedNodes.length)) {
    stop();
    bar = null;
    if (decorate() && readAloud) readScreen();
  } else if (base) {
    decorate(); // e.g. an error message shown on the same screen
  }
});
observer.observe(main, { childList: true, subtree: true });

// Loads the clips of a wave's language; without a manifest there is no audio.
export async function setup(survey, lang) {
  const want = { survey, lang };
  loading = want;
  const dir = `/content/${encodeURIComponent(survey)}/audio/${encodeURIComponent(lang)}/`;
  let found = {};
  let neighbour = null;
  let asked = false;
  try {
    const r = await fetch(dir + 'manifest.json', { cache: 'no-cache' });
    asked = r.ok || r.status === 404;
    if (r.ok) ({ clips: found = {}, close_voice: neighbour = null } = await r.json());
  } catch { /* offline: say nothing about sound */ }
  if (loading !== want) return;
  const values = Object.values(found);
  const heard = !asked ? null : !values.length ? 'none' : neighbour && !values.some((c) => c.origin === 'recorded') ? 'close_voice' : 'voice';
  // The same clips again (the start screen's language, confirmed once the code
  // names the wave): what plays goes on, and the buttons stay.
  if (dir === base && heard === sound && JSON.stringify(found) === JSON.stringify(clips)) return;
  stop();
  base = dir;
  clips = found;
  sound = heard;
  for (const n of main.querySelectorAll('.sound-note')) n.remove();
  for (const e of main.querySelectorAll('[data-audio]')) delete e.dataset.audio;
  // The buttons go; the rows stay, since they hold the texts (the question's heading among them).
  for (const b of main.querySelectorAll('.play, .audio-bar')) b.remove();
  bar = null;
  decorate();
}

if ('serviceWorker' in navigator) navigator.serviceWorker.register('/sw.js').catch(() => { /* no offline audio */ });
