// Service worker of the survey page: keeps the app and, once fetched, the
// audio clips, so that a loaded survey still works and plays without network.
// - Clips (content/{survey}/audio/{lang}/{hash}.mp3) never change: cache first.
// - The app's files and the wave's texts and manifests: network first, the
//   cached copy when offline.
// - The API and the other pages are left alone.
const SHELL = 'shell-v1';
const CLIPS = 'audio-v1';
const APP = ['/', '/app.js', '/i18n.js', '/api.js', '/logic.js', '/audio.js', '/app.css', '/favicon.svg', '/config.json', '/i18n/languages.json'];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => Promise.all(APP.map((url) => cache.add(url).catch(() => { /* cached when next fetched */ })))));
  self.skipWaiting();
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n !== SHELL && n !== CLIPS).map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

// A clip from the cache, or fetched whole (media elements ask for ranges; the
// cache keeps full responses only) and kept.
async function clip(request) {
  const cache = await caches.open(CLIPS);
  const hit = await cache.match(request.url);
  if (hit) return hit;
  const response = await fetch(request.url);
  if (response.status === 200) await cache.put(request.url, response.clone());
  return response;
}

// Kept under the path alone: a page's query (?code=...) is not stored.
async function networkFirst(request, path) {
  const cache = await caches.open(SHELL);
  try {
    const response = await fetch(request);
    if (response.status === 200) await cache.put(path, response.clone());
    return response;
  } catch (err) {
    const hit = await cache.match(path);
    if (hit) return hit;
    throw err;
  }
}

// The survey page's own files; other pages (/registrer/, /resultater/) are left alone.
const surveyFile = (path) => APP.includes(path) || path === '/index.html' || /^\/(i18n|fonts|content)\//.test(path);

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (/^\/content\/[^/]+\/audio\/[^/]+\/[0-9a-f]+\.mp3$/.test(url.pathname)) event.respondWith(clip(request));
  else if (surveyFile(url.pathname)) event.respondWith(networkFirst(request, url.pathname));
});
