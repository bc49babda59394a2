import type { Context } from 'hono';
import type { Engine } from '../../engine/engine.ts';
import { EngineError } from '../../engine/errors.ts';
import { csrfToken } from '../security/index.ts';
import { History } from '../views/history.tsx';
import { RunPage, Steps } from '../views/run-page.tsx';
import { chrome, isHx, loadRun, noStore, RUN_CHANGED, statusOf, type ErrorStatus } from './common.ts';
import { runView, type FormOverride } from './run-model.ts';
import type { RevertConfirmModel } from '../views/revert-confirm.tsx';

/** The whole run page (or, for htmx, the steps container), optionally with a notice or a form's errors. */
export async function respondRun(
  c: Context,
  engine: Engine,
  wfId: string,
  key: string,
  opts: { status?: 200 | ErrorStatus; notice?: string | undefined; override?: FormOverride | undefined; revertConfirm?: { stepId: string; c: RevertConfirmModel } | undefined } = {},
): Promise<Response> {
  const { wf, state } = await loadRun(engine, wfId, key);
  const v = await runView(engine, wf, state, csrfToken(c), { notice: opts.notice, override: opts.override });
  // The page offers to undo a revert for as long as the engine would accept it.
  v.undo = await engine.undoOffer(key);
  const ask = opts.revertConfirm;
  if (ask) {
    const card = v.cards.find((m) => m.step.id === ask.stepId);
    if (card) card.revertConfirm = ask.c;
  }
  noStore(c);
  if (isHx(c)) {
    // Whatever element asked, the answer is the whole run: put it where the run is.
    c.header('HX-Retarget', '#steps');
    c.header('HX-Reswap', 'outerHTML');
    c.header('HX-Trigger', RUN_CHANGED);
    return c.html(<Steps v={v} />, opts.status ?? 200);
  }
  const [ch, events] = await Promise.all([chrome(c, engine, wf.id), engine.store.events.forRun(state.key)]);
  return c.html(<RunPage chrome={ch} v={v} events={events} />, opts.status ?? 200);
}

/**
 * Runs a run-changing action; a rule it breaks (finalized, out of order, running…) answers with
 * the run as it is now and the reason on top, at 409. Other errors go to the app's error handler.
 */
export async function guarded(c: Context, engine: Engine, wfId: string, key: string, fn: () => Promise<Response> | Response): Promise<Response> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof EngineError && e.code !== 'invalid_input' && e.code !== 'not_found' && e.code !== 'bad_key') {
      try {
        return await respondRun(c, engine, wfId, key, { status: statusOf(e), notice: e.message });
      } catch {
        throw e;
      }
    }
    throw e;
  }
}

/** The history pane alone (it reloads itself on `run-changed`). */
export async function respondHistory(c: Context, engine: Engine, wfId: string, key: string): Promise<Response> {
  const { wf, state } = await loadRun(engine, wfId, key);
  noStore(c);
  return c.html(<History wf={wf} state={state} events={await engine.store.events.forRun(state.key)} />);
}
