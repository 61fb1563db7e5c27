// The wave's languages: how many of each language's texts are reviewed, drafts,
// out of date or missing against bokmål, and its sound for the survey page.
import { el, t, num, table, loadInto } from './ui.js';

export function render(box, ctx) {
  const body = el('div');
  box.append(body);
  loadInto(body, () => ctx.api('/coverage'), ({ languages }) => {
    if (!languages.length) {
      body.append(el('p', null, null, [t('languages.none')]));
      return;
    }
    const head = [
      t('languages.lang'),
      ...['languages.reviewed', 'languages.draft', 'languages.stale', 'languages.missing', 'languages.of'].map((k) => ({ n: t(k) })),
      t('languages.sound'),
      { n: t('languages.clips') },
    ];
    const rows = languages.map((l) => [
      { th: `${l.name} (${l.lang})` },
      { n: num(l.text.reviewed) },
      { n: num(l.text.draft) },
      { n: num(l.text.stale ?? 0) },
      { n: num(l.text.missing) },
      { n: num(l.text.of) },
      t(`sound.${l.audio.sound}`),
      { n: l.audio.texts ? t('languages.clips.of', { clips: num(l.audio.clips), texts: num(l.audio.texts) }) : num(l.audio.clips) },
    ]);
    body.append(el('p', null, null, [t('languages.lead')]), table(t('languages.caption'), head, rows));
  });
}
