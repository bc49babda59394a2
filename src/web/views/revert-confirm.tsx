import type { Child } from 'hono/jsx';
import type { RevertPreview, UndoOffer } from '../../engine/revert.ts';
import { Csrf } from './layout.tsx';
import { clearedLabel, clearsSentence, steps } from '../../engine/revert-words.ts';
import { stepDomId, urls } from './urls.ts';
import { When } from './when.tsx';

/** A confirmation to show in a step's card before reverting to it. */
export interface RevertConfirmModel {
  preview: RevertPreview;
  /** The run changed between the question and the answer: say that this is the new answer. */
  changed?: boolean | undefined;
}

export const revertSlotId = (stepId: string) => `revert-slot-${stepId}`;

/**
 * "Revert to step 3: Crawl?" with what it clears, Confirm and Cancel. Shown inside the step's
 * card: swapped in by htmx (app.js moves focus to it; Escape or Cancel puts the card back) or,
 * without JavaScript, as part of the run page at `…/steps/<id>/revert`.
 */
export function RevertConfirm(props: { wfId: string; runKey: string; stepId: string; number: number; title: string; csrf: string; c: RevertConfirmModel }): Child {
  const { wfId, runKey, stepId, number, title, csrf, c } = props;
  const id = `revert-confirm-${stepId}`;
  const action = urls.revert(wfId, runKey, stepId);
  return (
    <section id={id} class="revert-confirm" role="alertdialog" aria-labelledby={`${id}-title`} aria-describedby={`${id}-what`} data-revert-confirm={stepId}>
      <h3 id={`${id}-title`}>Revert to step {number}: {title}?</h3>
      {c.changed ? <p class="notice" role="alert">The run changed while you were deciding. This is what reverting clears now.</p> : null}
      <p id={`${id}-what`}>
        {clearsSentence(c.preview)} You can undo the revert until you next submit a step.
      </p>
      <form method="post" action={action} hx-post={action} hx-target="#steps" hx-swap="outerHTML" class="inline-form revert-confirm-buttons">
        <Csrf token={csrf} />
        <input type="hidden" name="confirm" value="yes" />
        <input type="hidden" name="seen" value={c.preview.updated} />
        <button type="submit" class="revert-confirm-yes">Revert and clear {steps(c.preview.cleared.length)}</button>
        <a href={`${urls.run(wfId, runKey)}#${stepDomId(stepId)}`} role="button" class="secondary outline" data-revert-cancel={stepId}>
          Cancel
        </a>
      </form>
    </section>
  );
}

/** After a revert, until the run changes again: what undo brings back, and the button. */
export function UndoRevertOffer(props: { wfId: string; runKey: string; offer: UndoOffer; number: number; title: string; csrf: string }): Child {
  const { wfId, runKey, offer, csrf } = props;
  const action = urls.undoRevert(wfId, runKey);
  const what = offer.restores.length
    ? `Undo brings back ${steps(offer.restores.length)} as ${offer.restores.length === 1 ? 'it was' : 'they were'}: ${offer.restores.map(clearedLabel).join(', ')}.`
    : `Undo puts step ${props.number} back as it was.`;
  return (
    <section id="undo-revert" class="undo-revert" aria-labelledby="undo-revert-title">
      <p>
        <strong id="undo-revert-title">Reverted to step {props.number}: {props.title}</strong> <When iso={offer.at} phrase />. {what}{' '}
        <small>You can undo until you next submit a step.</small>
      </p>
      <form method="post" action={action} hx-post={action} hx-target="#steps" hx-swap="outerHTML" class="inline-form">
        <Csrf token={csrf} />
        <button type="submit" class="secondary small" aria-describedby="undo-revert-title">↶ Undo revert</button>
      </form>
    </section>
  );
}
