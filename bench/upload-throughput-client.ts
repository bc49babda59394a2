/**
 * The client half of bench/upload-throughput.ts, run in its own process (forked by it), so that
 * generating, hashing and sending the bodies never runs on the servers' event loop or CPU. It
 * posts the same streamed multipart body (test/helpers/multipart-upload.ts: made in 1 MiB chunks
 * as it is sent, never held whole) to Railbook and to the two bare peers in turn, timing each from
 * request start to the end of the response.
 *
 * Before and after each upload it asks the parent (over IPC) to get ready and to take stock:
 * the parent opens a fresh run, resets its peak-RSS mark, and afterwards reads the peak, checks
 * what was stored and removes it — all outside the timed span.
 */
import { postMultipart, type Part } from '../test/helpers/multipart-upload.ts';

/** Railbook; the bare peer with Node's default write buffer (16 KiB); the bare peer with a 1 MiB one. */
export const SIDES = ['railbook', 'bare', 'bare-1m'] as const;
export type Side = (typeof SIDES)[number];

export interface ClientJob {
  type: 'job';
  csrf: string;
  origin: string;
  bytes: number;
  warmupBytes: number;
  rounds: number;
}

/** Client → parent. */
export type Ask =
  | { type: 'before'; side: Side }
  | { type: 'after'; side: Side; measured: boolean; ms: number; status: number; text: string; sent: string };

/** Parent → client: where to post this upload (a fresh run for Railbook), or just "go on". */
export type Reply = { type: 'go'; url: string } | { type: 'ok' } | { type: 'fail'; error: string };

let pending: ((r: Reply) => void) | undefined;
const ask = (m: Ask): Promise<Reply> =>
  new Promise((resolve, reject) => {
    pending = (r) => (r.type === 'fail' ? reject(new Error(r.error)) : resolve(r));
    process.send!(m);
  });

async function upload(job: ClientJob, side: Side, bytes: number, measured: boolean): Promise<void> {
  const go = await ask({ type: 'before', side });
  if (go.type !== 'go') throw new Error(`expected a URL to post to, got ${go.type}`);
  // As the app's own form sends it without JavaScript: the token as the first part, then the file.
  const parts: Part[] = side === 'railbook'
    ? [{ name: '_csrf', value: job.csrf }, { name: 'file', filename: 'export.bin', type: 'application/octet-stream', size: bytes }]
    : [{ name: 'file', filename: 'export.bin', type: 'application/octet-stream', size: bytes }];
  const t = performance.now();
  const r = await postMultipart(go.url, parts, { headers: { Origin: job.origin } });
  const ms = performance.now() - t;
  await ask({ type: 'after', side, measured, ms, status: r.status, text: r.text.slice(0, 300), sent: r.sent.file ?? '' });
}

async function run(job: ClientJob): Promise<void> {
  // Warm-up: first-use allocations and JIT on both sides are not what this measures.
  for (const side of SIDES) await upload(job, side, job.warmupBytes, false);
  for (let i = 0; i < job.rounds; i++) {
    // Interleaved, and which goes first rotates, so drift in the machine's load hits all alike.
    const order = SIDES.map((_, j) => SIDES[(i + j) % SIDES.length]!);
    for (const side of order) await upload(job, side, job.bytes, true);
  }
}

process.on('message', (m: ClientJob | Reply) => {
  if (m.type === 'job') {
    run(m).then(
      () => process.send!({ type: 'done' }, () => process.exit(0)),
      (e: unknown) => process.send!({ type: 'error', error: e instanceof Error ? e.stack ?? e.message : String(e) }, () => process.exit(1)),
    );
    return;
  }
  const p = pending;
  pending = undefined;
  p?.(m);
});
