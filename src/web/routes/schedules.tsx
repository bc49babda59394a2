import { Hono, type Context } from 'hono';
import type { Engine } from '../../engine/engine.ts';
import { EngineError } from '../../engine/errors.ts';
import { nextFires } from '../../schedule/cron.ts';
import { scheduledRunStatus } from '../../schedule/run-outcome.ts';
import type { Firing, Schedule } from '../../store/schedules.ts';
import {
  ConfirmRemoveSchedulePage, ScheduleStatus, SchedulesPage, SchedulesSection, scheduleDomId,
  type FiringView, type ScheduleFailure, type ScheduleNotice, type ScheduleView,
} from '../views/schedules.tsx';
import { urls } from '../views/urls.ts';
import { chrome, isHx, noStore } from './common.ts';

const NEXT = 3;
const LAST = 5;

/**
 * The Schedules page, and Pause / Resume / Remove as plain POST forms (htmx swaps the table in
 * place; without JavaScript each comes back to the page, which says what happened). Schedules are
 * added from the CLI (`railbook schedule add`): a job file and its folder are the CLI's business.
 */
export function scheduleRoutes(engine: Engine): Hono {
  const app = new Hono();

  app.get('/schedules', async (c) => {
    noStore(c);
    const [ch, schedules, notice] = await Promise.all([chrome(c, engine), scheduleViews(engine), readScheduleNotice(c, engine)]);
    return c.html(<SchedulesPage chrome={ch} schedules={schedules} notice={notice} />);
  });

  // A schedule has no page of its own: its link goes to its row.
  app.get('/schedules/:name', async (c) => {
    const s = await mustGet(engine, c.req.param('name'));
    return c.redirect(`${urls.schedules()}#${scheduleDomId(s.name)}`, 302);
  });

  for (const [verb, paused] of [['pause', true], ['resume', false]] as const) {
    app.post(`/schedules/:name/${verb}`, async (c) => {
      const s = await mustGet(engine, c.req.param('name'));
      const changed = await engine.store.schedules.setPaused(s.name, paused, new Date().toISOString());
      const notice: ScheduleNotice = { kind: changed ? (paused ? 'paused' : 'resumed') : 'unchanged', name: s.name };
      if (!isHx(c)) return c.redirect(withScheduleNotice(notice), 303);
      noStore(c);
      const schedules = await scheduleViews(engine);
      return c.html(
        <>
          <SchedulesSection schedules={schedules} csrf={(await chrome(c, engine)).csrf} />
          <ScheduleStatus notice={notice} oob />
        </>,
      );
    });
  }

  app.get('/schedules/:name/remove', async (c) => {
    const s = await mustGet(engine, c.req.param('name'));
    const firings = await engine.store.schedules.firings(s.name, 1);
    noStore(c);
    return c.html(<ConfirmRemoveSchedulePage chrome={await chrome(c, engine)} name={s.name} workflow={s.workflow} firings={firings.length} />);
  });

  app.post('/schedules/:name/remove', async (c) => {
    const s = await mustGet(engine, c.req.param('name'));
    const body = await c.req.parseBody();
    // Only the confirmation page's own form removes: anything else is shown that page first.
    if (body.confirm !== s.name) return c.redirect(urls.scheduleRemove(s.name), 303);
    await engine.store.schedules.remove(s.name);
    return c.redirect(withScheduleNotice({ kind: 'removed', name: s.name }), 303);
  });

  return app;
}

async function mustGet(engine: Engine, name: string): Promise<Schedule> {
  const s = await engine.store.schedules.get(name);
  if (!s) throw new EngineError('not_found', `no schedule "${name}" (the Schedules page lists them; "railbook schedule list" too)`);
  return s;
}

/** Every schedule, as the page shows it: next fire times and the last firings with how their runs stand. */
export async function scheduleViews(engine: Engine, now = new Date()): Promise<ScheduleView[]> {
  const list = await engine.store.schedules.list();
  return Promise.all(list.map(async (s) => {
    let next: string[] = [];
    let nextError = '';
    if (!s.paused) {
      try {
        next = nextFires({ cron: s.cron, tz: s.tz }, now, NEXT).map((d) => d.toISOString());
      } catch (e) {
        nextError = (e as Error).message;
      }
    }
    const firings = await Promise.all((await engine.store.schedules.firings(s.name, LAST)).map((f) => firingView(engine, f)));
    return {
      name: s.name,
      workflow: s.workflow,
      workflowTitle: engine.registry.get(s.workflow)?.title ?? null,
      cron: s.cron,
      tz: s.tz,
      missed: s.missed,
      queue: s.queue,
      paused: s.paused,
      next,
      nextError,
      firings,
    };
  }));
}

/** One firing as a badge: the firing's own status until it made a run, then how that run stands. */
async function firingView(engine: Engine, f: Firing): Promise<FiringView> {
  const base = { fireAt: f.fireAt, run: f.run };
  if (f.status === 'skipped') return { ...base, kind: 'pending', word: 'skipped', detail: 'missed while nothing was running' };
  if (f.status === 'firing') return { ...base, kind: 'running', word: 'starting', detail: '' };
  if (!f.run) return { ...base, kind: 'failed', word: 'failed', detail: clause(f.error ?? 'no run was made') };
  const st = await scheduledRunStatus(engine, f.run);
  if (st === 'done') return { ...base, kind: 'done', word: 'done', detail: '' };
  if (st === 'running') return { ...base, kind: 'running', word: 'running', detail: '' };
  if (st === 'queued') return { ...base, kind: 'open', word: 'queued', detail: '' };
  if (st === 'deleted') return { ...base, run: null, kind: 'pending', word: 'deleted', detail: `run ${f.run} was deleted` };
  if (st.startsWith('failed')) return { ...base, kind: 'failed', word: 'failed', detail: clause(st.replace(/^failed:?\s*/, '')) };
  // "1/2 done": a run that waits for a person (a step with no input in the job file).
  return { ...base, kind: 'open', word: 'waiting', detail: st };
}

/**
 * Schedules whose newest firing failed — it made a run that failed, or could not make one — for
 * the home page's flag. A later firing that went well clears it.
 */
export async function scheduleFailures(engine: Engine): Promise<ScheduleFailure[]> {
  const out: ScheduleFailure[] = [];
  for (const s of await engine.store.schedules.list()) {
    const [last] = await engine.store.schedules.firings(s.name, 1);
    if (!last || last.status === 'skipped' || last.status === 'firing') continue;
    const v = await firingView(engine, last);
    if (v.kind === 'failed') out.push({ schedule: s.name, workflow: s.workflow, fireAt: last.fireAt, run: v.run, detail: v.detail });
  }
  return out;
}

/** An error message as a clause inside a sentence: no trailing full stop. */
function clause(s: string): string {
  return s.trim().replace(/\.+$/, '');
}

const NOTICE_KINDS = ['paused', 'resumed', 'removed', 'unchanged'] as const;

function withScheduleNotice(n: ScheduleNotice): string {
  return `${urls.schedules()}?done=${n.kind}&name=${encodeURIComponent(n.name)}`;
}

/** The notice named in the query, if it is still true (a reload of an old URL says nothing false). */
async function readScheduleNotice(c: Context, engine: Engine): Promise<ScheduleNotice | undefined> {
  const kind = NOTICE_KINDS.find((k) => k === c.req.query('done'));
  const name = c.req.query('name');
  if (!kind || !name) return undefined;
  const s = await engine.store.schedules.get(name);
  const ok = kind === 'removed' ? !s : kind === 'paused' ? !!s?.paused : kind === 'resumed' ? !!s && !s.paused : !!s;
  return ok ? { kind, name } : undefined;
}
