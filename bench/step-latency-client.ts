/**
 * The client half of bench/step-latency.ts, run in its own process (forked by it), so that the
 * client's work (fetch, parsing, its garbage) never runs on the server's event loop or CPU
 * profile. It drives both servers alternately and sends its round-trip times back over IPC.
 *
 * Every request carries `X-Bench-Kind` (what it is) and `X-Bench-Measured` (after warm-up), so
 * the server side can pick out its own timings of exactly the requests measured here.
 */

export interface ClientJob {
  runUrl: string;
  bareUrl: string;
  csrf: string;
  origin: string;
  cycles: number;
  warmup: number;
}

export interface ClientResult {
  /** Client round trip of each measured submit (name and greeting, alternately). */
  realTrips: number[];
  /** Client round trip of each measured bare request (two per cycle, like the submits). */
  bareTrips: number[];
  /** Wall time of the measured submits (for requests/s), and of the measured bare requests. */
  realWall: number;
  bareWall: number;
}

async function run(job: ClientJob): Promise<ClientResult> {
  const headers = (kind: string, measured: boolean) => ({
    'HX-Request': 'true',
    'X-CSRF-Token': job.csrf,
    Origin: job.origin,
    'Content-Type': 'application/x-www-form-urlencoded',
    'X-Bench-Kind': kind,
    'X-Bench-Measured': measured ? '1' : '0',
  });
  const post = async (url: string, body: string, kind: string, measured: boolean): Promise<number> => {
    const t = performance.now();
    const r = await fetch(url, { method: 'POST', headers: headers(kind, measured), body });
    const text = await r.text();
    const dt = performance.now() - t;
    if (r.status !== 200) throw new Error(`${url} → ${r.status}: ${text.slice(0, 200)}`);
    return dt;
  };

  const out: ClientResult = { realTrips: [], bareTrips: [], realWall: 0, bareWall: 0 };
  for (let i = 0; i < job.warmup + job.cycles; i++) {
    const measured = i >= job.warmup;
    // Interleaved: two submits, then (after the revert that resets the run) two bare requests,
    // so that whatever the machine is doing meanwhile hits both sides alike.
    const a = await post(`${job.runUrl}/steps/name`, `name=Ada+${i}`, 'submit', measured);
    const b = await post(`${job.runUrl}/steps/greeting`, `greeting=Hello+${i}`, 'submit', measured);
    await post(`${job.runUrl}/steps/name/revert`, 'confirm=yes', 'revert', measured);
    const c = await post(job.bareUrl, 'name=Ada', 'bare', measured);
    const d = await post(job.bareUrl, 'name=Ada', 'bare', measured);
    if (measured) {
      out.realTrips.push(a, b);
      out.bareTrips.push(c, d);
      out.realWall += a + b;
      out.bareWall += c + d;
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
