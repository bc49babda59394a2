/**
 * The client half of bench/step-latency.ts, run in its own process (forked by it), so that the
 * client's work (fetch, parsing, its garbage) never runs on the server's event loop or CPU
 * profile. It drives every Railbook server (one per store backend) and the bare route in turn
 * and sends its round-trip times back over IPC.
 *
 * Every request carries `X-Bench-Kind` (what it is) and `X-Bench-Measured` (after warm-up), so
 * the server side can pick out its own timings of exactly the requests measured here.
 */

/** One Railbook server: a hello run on it, and what its pages ask a form post to carry. */
export interface ClientTarget {
  name: string;
  runUrl: string;
  csrf: string;
  origin: string;
}

export interface ClientJob {
  targets: ClientTarget[];
  bareUrl: string;
  cycles: number;
  warmup: number;
}

export interface ClientResult {
  /** Per target: client round trip of each measured submit (name and greeting, alternately). */
  realTrips: Record<string, number[]>;
  /** Client round trip of each measured bare request (two after each target's two submits). */
  bareTrips: number[];
  /** Per target: wall time of its measured submits (for requests/s); and of the measured bare requests. */
  realWall: Record<string, number>;
  bareWall: number;
}

async function run(job: ClientJob): Promise<ClientResult> {
  const headers = (t: ClientTarget, kind: string, measured: boolean) => ({
    'HX-Request': 'true',
    'X-CSRF-Token': t.csrf,
    Origin: t.origin,
    'Content-Type': 'application/x-www-form-urlencoded',
    'X-Bench-Kind': kind,
    'X-Bench-Measured': measured ? '1' : '0',
  });
  const post = async (t: ClientTarget, url: string, body: string, kind: string, measured: boolean): Promise<number> => {
    const start = performance.now();
    const r = await fetch(url, { method: 'POST', headers: headers(t, kind, measured), body });
    const text = await r.text();
    const dt = performance.now() - start;
    if (r.status !== 200) throw new Error(`${url} → ${r.status}: ${text.slice(0, 200)}`);
    return dt;
  };

  const out: ClientResult = { realTrips: {}, bareTrips: [], realWall: {}, bareWall: 0 };
  for (const t of job.targets) {
    out.realTrips[t.name] = [];
    out.realWall[t.name] = 0;
  }
  const n = job.targets.length;
  for (let i = 0; i < job.warmup + job.cycles; i++) {
    const measured = i >= job.warmup;
    // Interleaved: for each server, two submits, then (after the revert that resets the run) two
    // bare requests, so that whatever the machine is doing meanwhile hits every side alike. Which
    // server goes first rotates from cycle to cycle, so neither always follows the other.
    for (let j = 0; j < n; j++) {
      const t = job.targets[(i + j) % n]!;
      const a = await post(t, `${t.runUrl}/steps/name`, `name=Ada+${i}`, 'submit', measured);
      const b = await post(t, `${t.runUrl}/steps/greeting`, `greeting=Hello+${i}`, 'submit', measured);
      await post(t, `${t.runUrl}/steps/name/revert`, 'confirm=yes', 'revert', measured);
      const c = await post(t, job.bareUrl, 'name=Ada', 'bare', measured);
      const d = await post(t, job.bareUrl, 'name=Ada', 'bare', measured);
      if (measured) {
        out.realTrips[t.name]!.push(a, b);
        out.bareTrips.push(c, d);
        out.realWall[t.name]! += a + b;
        out.bareWall += c + d;
      }
    }
  }
  return out;
}

process.once('message', (job: ClientJob) => {
  run(job).then(
    (result) => process.send!({ ok: true, result }, () => process.exit(0)),
    (e: unknown) => process.send!({ ok: false, error: e instanceof Error ? e.stack ?? e.message : String(e) }, () => process.exit(1)),
  );
});
