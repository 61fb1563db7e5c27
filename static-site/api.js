// HTTP helpers. Errors are thrown as ApiError with a snake_case `code`
// (the server's error.code, or "network" / "http_<status>").
export class ApiError extends Error {
  constructor(code, status, field, retryAfter) {
    super(code);
    this.code = code;
    this.status = status;
    this.field = field;
    this.retryAfter = retryAfter;
  }
}

// A JSON request: GET without a body, POST with one unless `method` says
// otherwise; `token` goes in an Authorization: Bearer header, `headers` as given.
export async function request(url, body, { method, token, headers = {}, timeoutMs = 20000 } = {}) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeoutMs);
  const init = { signal: ctl.signal, headers: { accept: 'application/json', ...headers }, cache: body === undefined ? 'no-cache' : 'no-store' };
  if (method || body !== undefined) init.method = method || 'POST';
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (token) {
    init.headers.authorization = `Bearer ${token}`;
    init.credentials = 'omit';
    init.cache = 'no-store';
  }
  let res;
  try {
    res = await fetch(url, init);
  } catch {
    throw new ApiError('network', 0);
  } finally {
    clearTimeout(timer);
  }
  let data = null;
  try { data = await res.json(); } catch { /* empty or not JSON */ }
  if (res.ok && data) return data;
  const e = (data && data.error) || {};
  throw new ApiError(e.code || (res.ok ? 'bad_response' : 'http_' + res.status), res.status, e.field, res.headers.get('retry-after'));
}

export const getJSON = (url) => request(url);
export const postJSON = (url, body) => request(url, body);
// With the bearer token of a personal link or a results link.
export const getWithToken = (url, token) => request(url, undefined, { token });
export const sendWithToken = (url, method, body, token) => request(url, body, { method, token });
