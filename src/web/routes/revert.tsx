import { Hono, type Context } from 'hono';
import type { Engine } from '../../engine/engine.ts';
import { EngineError } from '../../engine/errors.ts';
import type { Workflow } from '../../engine/workflow.ts';
import { csrfToken } from '../security/index.ts';
import { RevertConfirm, revertSlotId, type RevertConfirmModel } from '../views/revert-confirm.tsx';
import { stepDomId, urls } from '../views/urls.ts';
import { isHx, loadRun, noStore } from './common.ts';
import { formBody } from './form-body.ts';
import { guarded, respondRun } from './respond.tsx';
import { firstOpen } from './run-model.ts';

/**
 * Revert asks first when it would clear outputs, and can be undone until the run changes again.
 *
 * - `POST …/steps/:step/revert` without `confirm=yes`: reverts at once if nothing worth asking
 *   about would be cleared; else answers with the question (htmx: a fragment for the card's
 *   slot; plain forms: a redirect to the question's page). With `confirm=yes` it reverts —
 *   unless `seen` shows the run changed since the question, which is then asked again.
 * - `GET …/steps/:step/revert`: the run page with the question in the step's card (no JavaScript).
 * - `POST …/undo-revert`: undoes the last revert; 409 with the reason once that is no longer possible.
 */
export function revertRoutes(engine: Engine): Hono {
  const app = new Hono();
  const path = '/wf/:wf/runs/:key/steps/:step/revert';

  const backToRun = async (c: Context, wf: Workflow, key: string) => {
    const state = await engine.get(key);
    const open = firstOpen(wf, state);
    const anchor = open < 0 ? 'run-finish' : stepDomId(wf.steps[open]!.id);
    return c.redirect(`${urls.run(wf.id, key)}#${anchor}`, 303);
  };

  const question = (c: Context, wf: Workflow, key: string, stepId: string, model: RevertConfirmModel) => {
    if (!isHx(c)) return respondRun(c, engine, wf.id, key, { revertConfirm: { stepId, c: model } });
    const i = wf.steps.findIndex((s) => s.id === stepId);
    noStore(c);
    // The question goes into the card's slot, whichever element asked.
    c.header('HX-Retarget', `#${revertSlotId(stepId)}`);
    c.header('HX-Reswap', 'innerHTML');
    return c.html(<RevertConfirm wfId={wf.id} runKey={key} stepId={stepId} number={i + 1} title={wf.steps[i]!.title} csrf={csrfToken(c)} c={model} />);
  };

  app.get(path, (c) => {
    const { wf: wfId, key, step: stepId } = c.req.param();
    return guarded(c, engine, wfId, key, async () => {
      const { wf } = await loadRun(engine, wfId, key);
      const preview = await engine.revertPreview(key, stepId);
      await askable(engine, key, stepId);
      return question(c, wf, key, stepId, { preview });
    });
  });

  app.post(path, (c) => {
    const { wf: wfId, key, step: stepId } = c.req.param();
    return guarded(c, engine, wfId, key, async () => {
      const { wf } = await loadRun(engine, wfId, key);
      const body = await formBody(c);
      const preview = await engine.revertPreview(key, stepId);
      const confirmed = body['confirm'] === 'yes';
      const seen = body['seen'];
      if (preview.cleared.length > 0) {
        await askable(engine, key, stepId);
        if (!confirmed) {
          if (isHx(c)) return question(c, wf, key, stepId, { preview });
          return c.redirect(`${urls.revert(wf.id, key, stepId)}#revert-confirm-${stepId}`, 303);
        }
        // The answer was given to an older question: more (or other) work may be at stake now.
        if (typeof seen === 'string' && seen !== preview.updated) return question(c, wf, key, stepId, { preview, changed: true });
      }
      await engine.revert(key, stepId);
      if (!isHx(c)) return backToRun(c, wf, key);
      return respondRun(c, engine, wf.id, key);
    });
  });

  app.post('/wf/:wf/runs/:key/undo-revert', (c) => {
    const { wf: wfId, key } = c.req.param();
    return guarded(c, engine, wfId, key, async () => {
      const { wf } = await loadRun(engine, wfId, key);
      const before = await engine.undoOffer(key);
      await engine.undoRevert(key);
      if (!isHx(c)) return backToRun(c, wf, key);
      const n = before?.restores.length ?? 0;
      const notice = n ? `Revert undone: ${n} step${n === 1 ? ' is' : 's are'} back as before` : 'Revert undone';
      return respondRun(c, engine, wf.id, key, { notice });
    });
  });

  return app;
}

/**
 * The question is asked in a done step's card. A running step shows Stop instead of Revert;
 * stopping it keeps its input for a re-run, which is what reverting to it would do.
 */
async function askable(engine: Engine, key: string, stepId: string): Promise<void> {
  if ((await engine.get(key)).steps[stepId]?.status === 'running') {
    throw new EngineError('running', `step "${stepId}" is running: stop it first (the Stop button on its card), then change its input and run it again`);
  }
}
