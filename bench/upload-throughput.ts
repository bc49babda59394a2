/**
 * Upload throughput: stream a large file (default 256 MB) as a multipart form to a real Railbook
 * server several times, and the same body to a bare node:http server on loopback that does the
 * least any upload handler must do — stream the body to a file while computing its SHA-256 —
 * interleaved in the same run, and report MB/s end to end (request start → response) for each,
 * their ratio, and how much the server's resident memory grew during an upload.
 *
 * The bare peer runs two ways: as plainly as it can be written (`pipeline(req, hasher,
 * createWriteStream(file))`, Node's default 16 KiB write buffer), and with a 1 MiB write buffer.
 * The buffer size matters more than anything else here: with 16 KiB the socket waits for every
 * 64 KiB chunk's disk write before it is read on, with 1 MiB reading and writing overlap.
 *
 * Railbook's side is the whole path a browser's upload takes: startServer on port 0 with a temp
 * data folder, the security middleware (the CSRF token read from the body's first part), busboy
 * writing the file part to `<dataDir>/tmp/uploads` through a counting, hashing transform, the
 * widget moving it into the run's artifacts (rename, then fsync) and the 303 back to the run.
 * The step is the upload fixture's `big` (test/fixtures/upload-workflows/uploads.ts): one file
 * field, nothing else, a fresh run per upload.
 *
 * Both servers run in this process; the client runs in a child process
 * (bench/upload-throughput-client.ts). Peak RSS is Linux's VmHWM, reset before each upload
 * (`/proc/self/clear_refs`), so it is the true peak during that upload, not a sampled one.
 *
 * BENCH_UPLOAD_MB (default 256) and BENCH_UPLOAD_ROUNDS (default 4; each round uploads to all three)
 * change the size and count.
 */
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { Engine } from '../src/engine/engine.ts';
import { loadWorkflows } from '../src/engine/registry.ts';
import { DEFAULT_MAX_UPLOAD_BYTES } from '../src/engine/upload-limit.ts';
import type { ArtifactRef } from '../src/store/artifact-ref.ts';
import { resolveDataDir } from '../src/store/data-dir.ts';
import { Store } from '../src/store/store.ts';
import { uploadTempDir } from '../src/store/uploaded-file.ts';
import { startServer, type RunningServer } from '../src/web/server.ts';
import { memoryOf } from '../test/helpers/rss.ts';
import { SIDES, type Ask, type ClientJob, type Reply, type Side } from './upload-throughput-client.ts';

const MB = 1_000_000;
const SIZE_MB = Number(process.env.BENCH_UPLOAD_MB ?? 256);
const ROUNDS = Number(process.env.BENCH_UPLOAD_ROUNDS ?? 4);
const WARMUP_MB = 16;
const UPLOAD_FIXTURES = fileURLToPath(new URL('../test/fixtures/upload-workflows', import.meta.url));

/** Starts the peak-RSS mark afresh at the current RSS (Linux: writing 5 to clear_refs). */
function resetPeak(): void {
  writeFileSync(`/proc/${process.pid}/clear_refs`, '5');
}

/**
 * The peer: the body streamed to a file through a counting, hashing transform, then a small JSON
 * answer. `/default` writes with Node's default buffer, `/1m` with a 1 MiB one. No multipart
 * parsing: the whole body is the file.
 */
async function bareServer(dir: string): Promise<{ url: string; lastFile: () => string | undefined; close: () => Promise<void> }> {
  let n = 0;
  let last: string | undefined;
  const server = createServer((req, res) => {
    const big = req.url === '/1m';
    const file = path.join(dir, `${++n}.part`);
    last = file;
    const hash = createHash('sha256');
    let size = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        hash.update(chunk);
        done(null, chunk);
      },
    });
    pipeline(req, counter, createWriteStream(file, { flags: 'wx', ...(big ? { highWaterMark: 1024 * 1024 } : {}) })).then(
      () => res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ size, sha256: hash.digest('hex') })),
      (e: unknown) => res.writeHead(500).end(String(e)),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    lastFile: () => last,
    close: () => closeHttp(server),
  };
}

function closeHttp(server: Server): Promise<void> {
  return new Promise((r) => {
    server.closeAllConnections();
    server.close(() => r());
  });
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: number[]) => {
  const s = sorted(xs);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const mbps = (bytes: number, ms: number) => bytes / MB / (ms / 1000);

export async function uploadThroughput(): Promise<{ ratio: number; lines: string[] }> {
  const bytes = Math.round(SIZE_MB * MB);
  const dataDir = resolveDataDir(mkdtempSync(path.join(tmpdir(), 'railbook-bench-upload-')));
  const bareDir = mkdtempSync(path.join(tmpdir(), 'railbook-bench-bare-'));
  const times = Object.fromEntries(SIDES.map((s) => [s, [] as number[]])) as Record<Side, number[]>;
  const growth = Object.fromEntries(SIDES.map((s) => [s, [] as number[]])) as Record<Side, number[]>;
  let engine: Engine | undefined;
  let server: RunningServer | undefined;
  let bare: Awaited<ReturnType<typeof bareServer>> | undefined;
  try {
    const registry = await loadWorkflows([UPLOAD_FIXTURES]);
    if (registry.errors.length) throw new Error(`the upload fixture failed to load: ${registry.errors.map((e) => `${e.file}: ${e.message}`).join('; ')}`);
    const railbook = (engine = await Engine.start(await Store.open(dataDir), registry, { maxUploadBytes: DEFAULT_MAX_UPLOAD_BYTES }));
    server = await startServer({ engine: railbook, port: 0 });
    const base = `http://127.0.0.1:${server.port}`;
    const peer = (bare = await bareServer(bareDir));
    const home = await (await fetch(`${base}/`)).text();
    const csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(home)?.[1];
    if (!csrf) throw new Error('no CSRF token on the home page');

    let key = '';
    let rssBefore = 0;
    /** Everything between two uploads, outside the timed span: a fresh run, the peak mark, checks, clean-up. */
    const answer = async (m: Ask): Promise<Reply> => {
      if (m.type === 'before') {
        let url = `${peer.url}${m.side === 'bare' ? '/default' : '/1m'}`;
        if (m.side === 'railbook') {
          key = (await railbook.open('uploads')).state.key;
          url = `${base}/wf/uploads/runs/${key}/steps/big`;
        }
        resetPeak();
        rssBefore = memoryOf(process.pid).rss;
        return { type: 'go', url };
      }
      const peak = memoryOf(process.pid).peak;
      if (m.side === 'railbook') {
        if (m.status !== 303) throw new Error(`the Railbook upload answered ${m.status}: ${m.text}`);
        const stored = ((await railbook.get(key)).steps.big?.output as { file?: ArtifactRef } | undefined)?.file;
        const size = m.measured ? bytes : WARMUP_MB * MB;
        if (!stored || stored.size !== size || stored.sha256 !== m.sent) {
          throw new Error(`the Railbook upload stored ${JSON.stringify(stored)}; ${size} bytes with SHA-256 ${m.sent} were sent`);
        }
        rmSync(path.dirname(path.join(dataDir, stored.path)), { recursive: true, force: true });
      } else {
        if (m.status !== 200) throw new Error(`the bare upload answered ${m.status}: ${m.text}`);
        const f = peer.lastFile();
        if (f) rmSync(f, { force: true });
      }
      if (m.measured) {
        times[m.side].push(m.ms);
        growth[m.side].push(peak - rssBefore);
      }
      return { type: 'ok' };
    };

    const job: ClientJob = { type: 'job', csrf, origin: base, bytes, warmupBytes: WARMUP_MB * MB, rounds: ROUNDS };
    await runClient(job, answer);
    const left = readdirSync(uploadTempDir(dataDir));
    if (left.length) throw new Error(`temp uploads left behind: ${left.join(', ')}`);
  } finally {
    await server?.close();
    await bare?.close();
    await engine?.shutdown();
    await engine?.store.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(bareDir, { recursive: true, force: true });
  }

  const med = (side: Side) => median(times[side]);
  const speed = (side: Side) => `${mbps(bytes, med(side)).toFixed(0)} MB/s`;
  const ratio = med('railbook') / med('bare');
  const ratio1m = med('railbook') / med('bare-1m');
  const perRound = (peer: Side) => sorted(times.railbook.map((t, i) => t / times[peer][i]!)).map((x) => x.toFixed(2)).join(', ');
  const all = (side: Side) => `median ${med(side).toFixed(0)} ms (${sorted(times[side]).map((x) => x.toFixed(0)).join(', ')})`;
  const mbOf = (x: number) => `${Math.max(0, x / MB).toFixed(0)} MB`;
  const worst = (side: Side) => Math.max(...growth[side]);
  const lines = [
    `upload-throughput: ${ROUNDS} uploads of ${SIZE_MB} MB to each side, interleaved, after a ${WARMUP_MB} MB warm-up; multipart streamed over loopback by a client in a child process`,
    `  upload ${SIZE_MB} MB: railbook ${speed('railbook')}, bare stream-to-disk+sha256 ${speed('bare')} → ${ratio.toFixed(2)}× the bare cost; peak RSS +${mbOf(worst('railbook'))}`,
    `  the same bare handler with a 1 MiB write buffer: ${speed('bare-1m')} → railbook ${ratio1m.toFixed(2)}× its cost`,
    `  per upload, request start → response: railbook ${all('railbook')}; bare ${all('bare')}; bare 1 MiB ${all('bare-1m')}`,
    `  ratio per round: to bare ${perRound('bare')}; to bare 1 MiB ${perRound('bare-1m')}`,
    `  server peak RSS growth during an upload (VmHWM over the RSS just before; worst of ${ROUNDS}): railbook +${mbOf(worst('railbook'))}, bare +${mbOf(worst('bare'))}, bare 1 MiB +${mbOf(worst('bare-1m'))}`,
  ];
  return { ratio, lines };
}

/** Forks the client and answers its questions until it is done. */
function runClient(job: ClientJob, answer: (m: Ask) => Promise<Reply>): Promise<void> {
  const file = fileURLToPath(new URL('./upload-throughput-client.ts', import.meta.url));
  // Only tsx for the child: no --cpu-prof (or anything else) inherited from this process.
  const child = fork(file, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise<void>((resolve, reject) => {
    let failed: string | undefined;
    child.on('message', (m: Ask | { type: 'done' } | { type: 'error'; error: string }) => {
      if (m.type === 'done') return resolve();
      if (m.type === 'error') return reject(new Error(`bench client failed: ${failed ?? m.error}`));
      // The client waits for each reply before it asks again, so answers never overlap.
      answer(m).then(
        (reply) => child.send(reply),
        (e: unknown) => {
          failed = e instanceof Error ? e.message : String(e);
          child.send({ type: 'fail', error: failed } satisfies Reply);
        },
      );
    });
    child.once('exit', (code) => reject(new Error(`bench client exited (${code}) before it was done`)));
    child.send(job);
  }).finally(() => {
    if (child.exitCode === null) child.kill();
  });
}
