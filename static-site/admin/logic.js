// Pure functions of the IMDi console (no DOM, so node's tests import them):
// times in Norway, the authenticator app's key, response rates, the log's
// before and after.

const ZONE = 'Europe/Oslo';
const WALL = new Intl.DateTimeFormat('en-GB', {
  timeZone: ZONE, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
});

// The wall clock in Norway at instant ms, as {year, month, day, hour, minute, second}.
function wallClock(ms) {
  const p = {};
  for (const { type, value } of WALL.formatToParts(ms)) if (type !== 'literal') p[type] = Number(value);
  return p;
}

// How far Norway's clock is ahead of UTC at instant ms, in minutes (60 or 120).
function offsetAt(ms) {
  const w = wallClock(ms);
  return Math.round((Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - Math.floor(ms / 1000) * 1000) / 60000);
}

const pad = (n) => String(n).padStart(2, '0');

// A datetime-local value ("2026-09-01T09:00"), read as Norwegian time, in
// RFC 3339 with Norway's offset on that day ("2026-09-01T09:00:00+02:00");
// null for anything else.
export function fromOsloLocal(value) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(String(value || ''));
  if (!m) return null;
  const [y, mo, d, h, mi, s = '00'] = m.slice(1);
  const wall = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s);
  // The offset at the guessed instant, then again at the corrected one (the days clocks change).
  const offset = offsetAt(wall - offsetAt(wall) * 60000);
  const sign = offset < 0 ? '-' : '+';
  return `${y}-${mo}-${d}T${h}:${mi}:${s}${sign}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
}

// An instant (RFC 3339) as a datetime-local value in Norwegian time; '' when there is none.
export function toOsloLocal(iso) {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return '';
  const w = wallClock(ms);
  return `${w.year}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}`;
}

// The authenticator app's key in groups of four, for typing: "ABCD EFGH IJ".
export const groupKey = (secret) => String(secret).replace(/\s+/g, '').toUpperCase().match(/.{1,4}/g)?.join(' ') ?? '';

// The link an authenticator app opens (the Key URI Format of Google Authenticator).
export function otpauthUri(email, secret) {
  const issuer = encodeURIComponent('IMDi konsoll');
  return `otpauth://totp/${issuer}:${encodeURIComponent(email)}?secret=${encodeURIComponent(secret)}&issuer=${issuer}`;
}

// A code typed from the app, spaces taken out; null unless it is six digits.
export function totpCode(typed) {
  const code = String(typed || '').replace(/[\s-]+/g, '');
  return /^\d{6}$/.test(code) ? code : null;
}

// Cumulative answers as response rates in per cent of `expected` (null without an expected number).
export const rates = (answers, expected) => answers.map((n) => (expected ? (100 * n) / expected : null));

// A survey id as the API takes it: 1 to 40 lower-case letters, digits or hyphens.
export const validSurveyId = (id) => /^[a-z0-9-]{1,40}$/.test(id);

// The members of a log entry's before and after that differ, with both values:
// [{key, before, after}]; members that stay the same (the contact an entry is about) as {key, same}.
export function changes(before, after) {
  const b = before && typeof before === 'object' ? before : {};
  const a = after && typeof after === 'object' ? after : {};
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])];
  return keys.map((key) => {
    const was = key in b ? b[key] : null;
    const is = key in a ? a[key] : null;
    return JSON.stringify(was) === JSON.stringify(is) ? { key, same: is } : { key, before: was, after: is };
  });
}
