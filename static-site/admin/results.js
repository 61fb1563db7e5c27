// The aggregation: started with POST …/runs (202 {run_id}), then its progress
// read every second until it is done or failed; a run still going when the
// part is left is picked up again on return. The result bundle's link is
// short-lived, so it is fetched on the click that downloads it.
import { el, t, T, busy, errorText, num, focusOn } from './ui.js';

const POLL = 1000;
const GIVE_UP_AFTER = 5; // failed reads of the progress in a row

export function render(box, ctx) {
  const run = (ctx.state.run ||= { id: null, last: null });
  const progress = el('progress', null, { max: 1, 'aria-labelledby': 'run-label' });
  const count = el('span');
  const message = el('p', 'run-message');
  const outcome = el('p', 'run-outcome');
  // The bar and its count are not announced (they change every second); the messages are.
  const bar = el('div', null, { hidden: true }, [
    el('p', 'run-head', null, [T('span', 'results.progress', null, 'label', { id: 'run-label' }), ' ', count]), progress,
  ]);
  const status = el('div', 'run', null, [bar, el('div', null, { 'aria-live': 'polite' }, [message, outcome])]);
  let timer = null;
  let left = false;
  ctx.onLeave(() => { left = true; clearTimeout(timer); });
  const later = () => { if (!left) timer = setTimeout(poll, POLL); };

  const show = (state) => {
    run.last = state;
    bar.hidden = false;
    if (state.of > 0) {
      progress.max = state.of;
      progress.value = state.done;
      count.textContent = t('results.count', { done: num(state.done), of: num(state.of) });
    } else {
      progress.removeAttribute('value');
      count.textContent = '';
    }
    message.textContent = state.message || t(`results.step.${state.step}`);
    outcome.classList.toggle('error', state.state === 'failed');
    if (state.state === 'done') {
      const sum = state.summary;
      outcome.textContent = [t('results.done'), sum ? t('results.summary', { answers: num(sum.answers), units: num(sum.units), withheld: num(sum.withheld_units) }) : ''].join(' ').trim();
    } else if (state.state === 'failed') outcome.textContent = t('results.failed', { message: state.message || '' });
    else outcome.textContent = '';
  };

  let misses = 0;
  const poll = async () => {
    const id = run.id;
    try {
      const state = await ctx.api(`/runs/${encodeURIComponent(id)}`);
      if (id !== run.id) return; // a newer run started meanwhile, and is followed instead
      misses = 0;
      show(state);
      if (state.state === 'running') later();
    } catch (e) {
      if (e.status === 401) return;
      misses += 1;
      if (misses < GIVE_UP_AFTER) later();
      else outcome.textContent = t('results.lost');
    }
  };

  const parts = [T('p', 'results.lead')];
  if (ctx.mayChange) {
    const start = T('button', 'results.run', null, 'btn primary', { type: 'button' });
    const error = el('p', 'error', { role: 'alert' });
    start.addEventListener('click', () => busy(start.parentElement, async () => {
      error.textContent = '';
      try {
        const out = await ctx.api('/runs', {});
        clearTimeout(timer);
        run.id = out.run_id;
        misses = 0;
        show({ state: 'running', step: 'queued', done: 0, of: 0, message: '' });
        later();
      } catch (e) {
        if (e.status !== 401) error.textContent = errorText(e);
      }
    }));
    parts.push(el('div', 'actions', null, [start]), error);
  }
  parts.push(status, download(ctx));
  box.append(...parts);
  if (run.last) show(run.last);
  if (run.last?.state === 'running') poll();
}

function download(ctx) {
  const button = T('button', 'results.download', null, 'btn', { type: 'button' });
  const error = el('p', 'error', { role: 'alert' });
  const box = el('section', 'bundle', { 'aria-labelledby': 'bundle-h' }, [
    T('h3', 'results.download.h', null, null, { id: 'bundle-h' }), T('p', 'results.download.hint', null, 'hint'), button, error,
  ]);
  button.addEventListener('click', () => busy(box, async () => {
    error.textContent = '';
    try {
      const { url } = await ctx.api('/bundle');
      location.assign(url);
    } catch (e) {
      if (e.status === 401) return;
      error.textContent = errorText(e);
      focusOn(error);
    }
  }));
  return box;
}
