// Reminders by e-mail: to the contacts of every unit still open (a participant
// survey) or to everyone invited who has not submitted (a survey of roles).
// When they were last sent comes from the log; sending asks first.
import { el, t, T, busy, confirm, errorText, fmtAt, num, loadInto, focusOn } from './ui.js';

export function render(box, ctx) {
  const body = el('div');
  box.append(body);
  loadInto(body, () => Promise.all([ctx.units(), ctx.log()]), ([units, entries]) => draw(body, ctx, units.roles ? 'recipients' : 'contacts', entries));
}

const lastSent = (entry) => (entry
  ? T('p', 'reminders.last', { at: fmtAt(entry.at), who: entry.who, n: num(entry.after?.sent ?? 0) }, 'last-sent')
  : T('p', 'reminders.never', null, 'last-sent'));

function draw(body, ctx, to, entries) {
  let last = lastSent(entries.filter((e) => e.action === 'reminders.send').at(-1));
  body.append(T('p', `reminders.${to}`), last);
  if (ctx.wave.status !== 'open') {
    body.append(T('p', 'reminders.not_open', null, 'info'));
    return;
  }
  if (!ctx.mayChange) return;
  const msg = el('p', 'status-msg', { role: 'status', tabindex: '-1' });
  const send = T('button', 'reminders.send', null, 'btn primary', { type: 'button' });
  send.addEventListener('click', async () => {
    if (!(await confirm(`reminders.confirm.${to}`, null, 'reminders.confirm.text', 'reminders.yes'))) return;
    await busy(body, async () => {
      try {
        const out = await ctx.api('/reminders', { to });
        msg.classList.remove('error');
        msg.textContent = t('reminders.sent', { n: num(out.sent) });
        const now = lastSent(out.audit);
        last.replaceWith(now);
        last = now;
      } catch (e) {
        if (e.status === 401) return;
        msg.classList.add('error');
        msg.textContent = errorText(e);
      }
      focusOn(msg);
    });
  });
  body.append(el('div', 'actions', null, [send]), msg);
}
