// Pure survey logic: routing, answer checks, submission ids, retry delays.
// No DOM here, so it can be unit-tested in Node.

const B32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

// A ULID: 48-bit millisecond timestamp + 80 random bits, 26 Crockford base32 chars.
export function ulid(now = Date.now(), rnd = crypto.getRandomValues(new Uint8Array(16))) {
  let time = '';
  for (let i = 0, n = now; i < 10; i++) { time = B32[n % 32] + time; n = Math.floor(n / 32); }
  // 16 chars x 5 bits = 80 bits; each byte's low 5 bits are uniform.
  let rand = '';
  for (let i = 0; i < 16; i++) rand += B32[rnd[i] & 31];
  return time + rand;
}

export const isEmpty = (a) => a == null || a === '' || (Array.isArray(a) && a.length === 0);

// shown iff no show_if, or the referenced question is itself shown and its
// answer (string, or array for multi) contains one of any_of.
export function isShown(q, answers, byId, depth = 0) {
  const c = q.show_if;
  if (!c) return true;
  const ref = byId[c.question];
  if (!ref || depth > 50 || !isShown(ref, answers, byId, depth + 1)) return false;
  const a = answers[ref.id];
  if (isEmpty(a)) return false;
  const vals = Array.isArray(a) ? a : [a];
  return vals.some((v) => c.any_of.includes(v));
}

export const index = (qn) => Object.fromEntries(qn.questions.map((q) => [q.id, q]));

export function visible(qn, answers) {
  const byId = index(qn);
  return qn.questions.filter((q) => isShown(q, answers, byId));
}

// Drops answers to unknown questions and values not among the options.
export function sanitize(qn, answers) {
  const byId = index(qn);
  const out = {};
  for (const id in answers || {}) {
    const q = byId[id];
    if (!q) continue;
    const ok = q.options.map((o) => o.value);
    const a = answers[id];
    if (q.type === 'multi') {
      if (Array.isArray(a)) {
        const v = a.filter((x) => ok.includes(x));
        if (v.length) out[id] = v;
      }
    } else if (typeof a === 'string' && ok.includes(a)) out[id] = a;
  }
  return out;
}

// Only answers to questions shown by the other answers, in questionnaire order.
export function answersToSend(qn, answers) {
  const out = {};
  for (const q of visible(qn, answers)) if (!isEmpty(answers[q.id])) out[q.id] = answers[q.id];
  return out;
}

export function endsSurvey(q, a) {
  if (isEmpty(a)) return false;
  const vals = Array.isArray(a) ? a : [a];
  return q.options.some((o) => o.ends_survey && vals.includes(o.value));
}

// Milliseconds to wait before retry number `attempt` (0-based). A Retry-After
// header (seconds or HTTP date) wins; else exponential backoff capped at 30 s.
export function retryDelay(attempt, retryAfter, now = Date.now(), rand = Math.random()) {
  if (retryAfter) {
    const s = Number(retryAfter);
    const ms = Number.isFinite(s) ? s * 1000 : Date.parse(retryAfter) - now;
    if (Number.isFinite(ms)) return Math.min(Math.max(ms, 500), 300000);
  }
  const base = Math.min(30000, 1000 * 2 ** attempt);
  return Math.round(base * (0.75 + rand * 0.25));
}
