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

export async function request(url, body, timeoutMs = 20000) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeoutMs);
  const init = { signal: ctl.signal, headers: { accept: 'application/json' }, cache: body === undefined ? 'no-cache' : 'no-store' };
  if (body !== undefined) {
    init.method = 'POST';
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
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
