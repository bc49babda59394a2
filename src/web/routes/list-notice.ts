import type { Context } from 'hono';
import type { Engine } from '../../engine/engine.ts';
import type { ListNoticeModel } from '../views/list-notice.tsx';

const KINDS = ['archived', 'unarchived', 'deleted'] as const;

/**
 * After a run was archived, unarchived or deleted, the list page it lands on says so. The news
 * travels in the redirect's query (`?notice=archived&run=<key>`): no session needed, and a
 * reload shows the same page.
 */
export function withNotice(path: string, kind: ListNoticeModel['kind'], key: string): string {
  const u = new URL(path, 'http://railbook.invalid');
  u.searchParams.set('notice', kind);
  u.searchParams.set('run', key);
  return u.pathname + u.search + u.hash;
}

/** The notice named in the query, if it still makes sense (an archived run that exists, say). */
export async function readNotice(c: Context, engine: Engine, wfId?: string): Promise<ListNoticeModel | undefined> {
  const kind = KINDS.find((k) => k === c.req.query('notice'));
  const key = c.req.query('run');
  if (!kind || !key) return undefined;
  let workflow: string | undefined;
  try {
    workflow = (await engine.get(key)).workflow;
  } catch {
    workflow = undefined;
  }
  // Only news that is true now: a deleted run is gone, an archived one is still there.
  if (kind === 'deleted') return workflow === undefined ? { kind, key, wfId: wfId ?? '' } : undefined;
  return workflow === undefined ? undefined : { kind, key, wfId: workflow };
}
