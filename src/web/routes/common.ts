import type { Context } from 'hono';
import type { Engine } from '../../engine/engine.ts';
import { EngineError, type EngineErrorCode } from '../../engine/errors.ts';
import type { RunState } from '../../engine/run-state.ts';
import type { RenderContext, Workflow } from '../../engine/workflow.ts';
import { csrfToken } from '../security/index.ts';
import type { Chrome } from '../views/layout.tsx';
import { urls } from '../views/urls.ts';

/** The event a response names in `HX-Trigger` when a run changed; the history pane listens for it. */
export const RUN_CHANGED = 'run-changed';

export type ErrorStatus = 404 | 409 | 422;

const STATUS: Record<EngineErrorCode, ErrorStatus> = {
  not_found: 404,
  invalid_input: 422,
  bad_key: 422,
  finalized: 409,
  out_of_order: 409,
  already_done: 409,
  running: 409,
  not_complete: 409,
  workflow_mismatch: 409,
  undo_unavailable: 409,
  artifacts_missing: 409,
};

export function statusOf(e: EngineError): ErrorStatus {
  return STATUS[e.code] ?? 409;
}

/** A request made by htmx (it wants a fragment, not a page or a redirect). */
export function isHx(c: Context): boolean {
  return c.req.header('HX-Request') === 'true';
}

/** Pages and fragments depend on live state: never cache them (this also keeps them out of the back/forward cache). */
export function noStore(c: Context): void {
  c.header('Cache-Control', 'no-store');
}

export async function chrome(c: Context, engine: Engine, workflowId?: string): Promise<Chrome> {
  const url = new URL(c.req.url);
  const [profile, profiles] = await Promise.all([engine.store.profiles.current(), engine.store.profiles.list()]);
  return {
    csrf: csrfToken(c),
    profile,
    profiles,
    workflows: engine.registry.list().map((w) => ({ id: w.id, title: w.title })),
    // After a form post the URL is the action's; come back to a page that exists for GET.
    path: c.req.method === 'GET' ? url.pathname + url.search : url.pathname.startsWith('/profiles') ? '/profiles' : url.pathname,
    workflowId,
  };
}

export function renderContext(state: RunState): RenderContext {
  return {
    runKey: state.key,
    workflowId: state.workflow,
    artifactUrl: (ref) => urls.artifact(ref.path, ref.name),
    frameUrl: (ref) => urls.frame(ref.path),
  };
}

/** The run named in the URL, checked to belong to the workflow named in the URL. */
export async function loadRun(engine: Engine, wfId: string, key: string): Promise<{ wf: Workflow; state: RunState }> {
  const wf = engine.workflow(wfId);
  const state = await engine.get(key);
  if (state.workflow !== wf.id) {
    throw new EngineError('workflow_mismatch', `run "${key}" belongs to workflow "${state.workflow}", not "${wf.id}"`);
  }
  return { wf, state };
}

/** A redirect target from a form field: only a path on this site ("/…", never "//host"). */
export function safeBack(v: unknown, fallback = '/'): string {
  // Browsers drop tabs and newlines inside URLs ("/\t/evil.example" becomes "//evil.example"):
  // refuse any control character, then require a path on this site.
  if (typeof v !== 'string' || /[\u0000-\u001f\u007f\\]/.test(v) || !v.startsWith('/') || v.startsWith('//')) return fallback;
  const u = new URL(v, 'http://railbook.invalid');
  return u.origin === 'http://railbook.invalid' ? u.pathname + u.search + u.hash : fallback;
}

/** Waits for `p` at most `ms` milliseconds: its value if it settled by then, else undefined. */
export async function settleWithin<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const v = await Promise.race([p, new Promise<undefined>((r) => { timer = setTimeout(() => r(undefined), ms); })]);
  clearTimeout(timer);
  return v;
}
