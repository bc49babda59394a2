import { Hono, type Context } from 'hono';
import type { Engine } from '../../engine/engine.ts';
import { EngineError } from '../../engine/errors.ts';
import type { RunState } from '../../engine/run-state.ts';
import type { Workflow } from '../../engine/workflow.ts';
import { stepEvents } from '../sse.tsx';
import { CardsFragment } from '../views/run-page.tsx';
import { stepDomId, urls } from '../views/urls.ts';
import { csrfToken } from '../security/index.ts';
import { isHx, loadRun, noStore, renderContext, RUN_CHANGED, settleWithin } from './common.ts';
import { LiveOutput } from '../views/step-card.tsx';
import { formBody } from './form-body.ts';
import { echoValues } from './echo.ts';
import { uploadRules } from '../upload-rules.ts';
import { guarded, respondRun } from './respond.tsx';
import { cardsFrom, firstOpen, type FormOverride } from './run-model.ts';
import { revertRoutes } from './revert.tsx';

/** How long a submit waits for a step's work, so that quick steps come back done in one request. */
export const QUICK_STEP_MS = 300;

/** Submitting, reloading, reverting and stopping one step; its live progress stream. */
export function stepRoutes(engine: Engine): Hono {
  const app = new Hono();
  const base = '/wf/:wf/runs/:key/steps/:step';

  /** The step's card and what follows it, in place of the card (or the whole run if the step is gone from view). */
  const respondCards = async (c: Context, wf: Workflow, state: RunState, stepId: string, override?: FormOverride, status: 200 | 422 = 200) => {
    const v = await cardsFrom(engine, wf, state, stepId, csrfToken(c), override);
    if (!v) return respondRun(c, engine, wf.id, state.key);
    noStore(c);
    c.header('HX-Trigger', RUN_CHANGED);
    return c.html(<CardsFragment v={v} />, status);
  };

  /** Without JavaScript: back to the run page, at the step that now needs attention. */
  const backToRun = async (c: Context, wf: Workflow, key: string) => {
    const state = await engine.get(key);
    const open = firstOpen(wf, state);
    const anchor = open < 0 ? 'run-finish' : stepDomId(wf.steps[open]!.id);
    return c.redirect(`${urls.run(wf.id, key)}#${anchor}`, 303);
  };

  app.get(base, async (c) => {
    const { wf: wfId, key, step: stepId } = c.req.param();
    const { wf, state } = await loadRun(engine, wfId, key);
    engine.step(wf, stepId);
    if (!isHx(c)) return c.redirect(`${urls.run(wf.id, key)}#${stepDomId(stepId)}`, 302);
    return respondCards(c, wf, state, stepId);
  });

  app.post(base, (c) => {
    const { wf: wfId, key, step: stepId } = c.req.param();
    return guarded(c, engine, wfId, key, async () => {
      const { wf } = await loadRun(engine, wfId, key);
      const step = engine.step(wf, stepId);
      const body = await formBody(c, uploadRules(step.fields, engine.maxUploadBytes, engine.store.dataDir));
      const raw: Record<string, unknown> = {};
      for (const [name, w] of Object.entries(step.fields)) {
        const v = w.fromForm(body, name);
        if (v !== undefined) raw[name] = v;
      }
      let after: RunState;
      try {
        const { state, completion } = await engine.submit(key, stepId, raw);
        after = state;
        // A quick step's own outcome is the state to show; one still working is re-read when it is shown.
        if (state.steps[stepId]?.status === 'running') after = (await settleWithin(completion, QUICK_STEP_MS)) ?? (await engine.get(key));
      } catch (e) {
        if (!(e instanceof EngineError) || e.code !== 'invalid_input') throw e;
        // Show the form again with what was entered (files cannot be sent back, giant values only in part) and a message per field.
        const override: FormOverride = { stepId, ...echoValues(raw, { ...e.fieldErrors }) };
        if (!isHx(c)) return respondRun(c, engine, wf.id, key, { status: 422, override });
        return respondCards(c, wf, await engine.get(key), stepId, override, 422);
      }
      if (!isHx(c)) return backToRun(c, wf, key);
      return respondCards(c, wf, after, stepId);
    });
  });

  // Revert (asking first when it clears outputs) and its undo.
  app.route('/', revertRoutes(engine));

  app.post(`${base}/cancel`, (c) => {
    const { wf: wfId, key, step: stepId } = c.req.param();
    return guarded(c, engine, wfId, key, async () => {
      const { wf, state } = await loadRun(engine, wfId, key);
      engine.step(wf, stepId);
      let notice: string | undefined;
      if (state.steps[stepId]?.status === 'running') await engine.cancel(key, stepId);
      else notice = 'The step had already finished.';
      if (!isHx(c)) return backToRun(c, wf, key);
      const after = await engine.get(key);
      const v = await cardsFrom(engine, wf, after, stepId, csrfToken(c));
      if (v && notice && v.cards[0]) v.cards[0].notice = notice;
      if (!v) return respondRun(c, engine, wf.id, key);
      noStore(c);
      c.header('HX-Trigger', RUN_CHANGED);
      return c.html(<CardsFragment v={v} />);
    });
  });

  app.get(`${base}/events`, async (c) => {
    const { wf: wfId, key, step: stepId } = c.req.param();
    const { wf, state } = await loadRun(engine, wfId, key);
    const step = engine.step(wf, stepId);
    const ctx = renderContext(state);
    return stepEvents(c, engine, key, stepId, {
      label: `Progress of ${step.title}`,
      renderPartial: async (output) => String(await (<LiveOutput step={step} output={output} ctx={ctx} />)),
    });
  });

  return app;
}
