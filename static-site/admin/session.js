// Who is signed in, and the console's API calls with their ID token. The token
// lives in this module's memory only (never in storage or a cookie): a reload
// means signing in again. A 401 (the token expired) drops it and calls the
// handler given to onExpired().
import { request } from '/api.js';

let token = null;
let me = null; // GET /api/admin/me: {user, groups, may_change}
let expired = () => {};

export const onExpired = (fn) => { expired = fn; };
export const user = () => me;
export const mayChange = () => !!me?.may_change;

export function signOut() {
  token = null;
  me = null;
}

// A change that got no answer (the network failed, or the server answered
// 5xx or 429) keeps its Idempotency-Key, here in memory: asked for again, the
// same change goes with the same key, and the server finishes it once rather
// than making it twice. An answer (done, or refused with a 4xx) ends the key.
const unanswered = new Map(); // 'METHOD path body' → key

// A call to /api/admin{path}: GET without a body, POST with one, or `method`.
export async function api(path, body, method) {
  if (!token) throw Object.assign(new Error('signed out'), { status: 401 });
  const verb = method || (body === undefined ? 'GET' : 'POST');
  const change = verb === 'GET' ? null : `${verb} ${path} ${JSON.stringify(body)}`;
  const key = change && (unanswered.get(change) || crypto.randomUUID());
  if (change) unanswered.set(change, key);
  try {
    const out = await request('/api/admin' + path, body, { method, token, headers: key ? { 'idempotency-key': key } : {} });
    if (change) unanswered.delete(change);
    return out;
  } catch (e) {
    if (change && e.status >= 400 && e.status < 500 && e.status !== 429) unanswered.delete(change);
    if (e.status === 401 && token) {
      signOut();
      expired();
    }
    throw e;
  }
}

// Keeps the ID token and reads who it belongs to.
export async function start(idToken) {
  token = idToken;
  me = await api('/me');
  return me;
}
