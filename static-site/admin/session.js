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

// A call to /api/admin{path}: GET without a body, POST with one, or `method`.
export async function api(path, body, method) {
  if (!token) throw Object.assign(new Error('signed out'), { status: 401 });
  try {
    return await request('/api/admin' + path, body, { method, token });
  } catch (e) {
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
