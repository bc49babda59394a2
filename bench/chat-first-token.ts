/**
 * Chat first-token overhead (issue 8): from the moment a browser sends a message until the first
 * token's text is on the page's SSE stream, against the embedded provider's own first token
 * (LlamaProvider.chat on the same tiny GGUF model, the same request), measured in the same run,
 * interleaved. Goal: ≤ +5 ms.
 *
 * The subject is the whole path: a real server as `railbook serve` starts it (startServer over a
 * Store and an Engine on a temp data folder; the AI settings from the environment: provider
 * `llama`, the model file), the security middleware (Origin and CSRF header checked), the chat
 * route, the ChatService (the message stored, the context built, the provider chosen), the
 * provider, and the first SSE event. The client is a child process (bench/chat-first-token-client.ts)
 * doing what chat.js does; it asks from a run page's pane, so the place (workflow, run, step) is
 * described for the model too. Every turn is in a new conversation, so every prompt is the same.
 *
 * The peer runs in this (the server's) process, with the request the ChatService sent the model
 * (captured during warm-up): the same messages, tools and token limit, so the same prompt. Both
 * use one CPU thread (RAILBOOK_AI_THREADS=1) and the same loaded model and context pool.
 *
 * Each round also runs the same chat turn the older way (POST /chat answering with the bubble, then
 * GET its stream: what chat.js falls back to when the POST does not stream), and a floor: a bare
 * node:http server answering a POST with one SSE event at once, read by the same client — what
 * any request and event between two processes costs on this machine right now.
 *
 * A breakdown of the subject comes from timestamps on one clock (performance.timeOrigin + now(),
 * both processes): sent → the provider called (the route and the ChatService's setup), → the
 * provider's first token (the model), → the first token on the client (the way back to the page).
 *
 *   node --import tsx bench/chat-first-token.ts
 *   BENCH_CHAT_ROUNDS=200 BENCH_CHAT_WARMUP=20 node --import tsx bench/chat-first-token.ts
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ChatChunk, ChatRequest } from '../src/ai/provider.ts';
import { LlamaProvider, unloadLlamaModels } from '../src/ai/llama.ts';
import { Engine } from '../src/engine/engine.ts';
import { BUILTIN_WORKFLOWS_DIR, loadWorkflows } from '../src/engine/registry.ts';
import { resolveDataDir } from '../src/store/data-dir.ts';
import { Store } from '../src/store/store.ts';
import { startServer } from '../src/web/server.ts';
import { tinyModelFile } from '../test/helpers/tiny-gguf.ts';
import type { ClientMode, TurnAsk, TurnReply } from './chat-first-token-client.ts';

const ROUNDS = Number(process.env.BENCH_CHAT_ROUNDS ?? 100);
const WARMUP = Number(process.env.BENCH_CHAT_WARMUP ?? 10);
const MODES: readonly ClientMode[] = ['post-stream', 'two-requests'];
const GOAL_MS = 5;
const MESSAGE = 'What should I type in this step?';

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: number[]) => sorted(xs)[Math.floor(xs.length / 2)] ?? NaN;
const p95 = (xs: number[]) => sorted(xs)[Math.floor(xs.length * 0.95)] ?? NaN;
const ms = (x: number) => `${x.toFixed(2)} ms`;
const now = () => performance.timeOrigin + performance.now();

/** What the provider was asked in the server, and when; installed around LlamaProvider.prototype.chat. */
interface ProviderCall {
  req: ChatRequest;
  calledAt: number;
  firstAt: number | undefined;
}

/** Records every LlamaProvider.chat call (its request, when it was called and its first token); returns the undo. */
function recordProviderCalls(calls: ProviderCall[]): () => void {
  const proto = LlamaProvider.prototype;
  const original = proto.chat;
  proto.chat = async function* (this: LlamaProvider, req: ChatRequest): AsyncGenerator<ChatChunk, void, undefined> {
    const call: ProviderCall = { req, calledAt: now(), firstAt: undefined };
    calls.push(call);
    for await (const chunk of original.call(this, req)) {
      if (chunk.type === 'token' && call.firstAt === undefined) call.firstAt = now();
      yield chunk;
    }
  };
  return () => {
    proto.chat = original;
  };
}

/** The peer: the provider's own first token for `req`, then stopped (as the subject's answer is). */
async function providerFirstToken(provider: LlamaProvider, req: ChatRequest): Promise<number> {
  const ac = new AbortController();
  const t0 = performance.now();
  try {
    for await (const chunk of provider.chat({ ...req, signal: ac.signal })) {
      if (chunk.type === 'token') return performance.now() - t0;
      if (chunk.type === 'done') break;
    }
  } finally {
    ac.abort();
  }
  throw new Error('the provider answered without a token');
}

function client(): { turn(ask: TurnAsk): Promise<TurnReply>; close(): void } {
  const file = fileURLToPath(new URL('./chat-first-token-client.ts', import.meta.url));
  // Only tsx for the child: no --cpu-prof (or anything else) inherited from this process.
  const child: ChildProcess = fork(file, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  return {
    turn: (ask) =>
      new Promise((resolve, reject) => {
        if (exited) return reject(new Error('the bench client has exited'));
        const onExit = (code: number | null) => reject(new Error(`the bench client exited (${code}) mid-turn`));
        child.once('exit', onExit);
        child.once('message', (m: TurnReply | { ok: false; error: string }) => {
          child.off('exit', onExit);
          if (m.ok) resolve(m);
          else reject(new Error(`bench client: ${m.error}`));
        });
        child.send(ask);
      }),
    close: () => {
      if (!exited) child.disconnect();
    },
  };
}

/** Samples of one chat mode: client-measured first tokens and the breakdown. */
interface ModeSamples {
  firstToken: number[];
  setup: number[];
  model: number[];
  back: number[];
}

/**
 * The floor of any such path on this machine: a bare node:http server (this process) that
 * answers a POST with one SSE event at once, read by the same client code.
 */
async function bareSseServer(): Promise<{ base: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    req.resume();
    req.once('end', () => {
      res.socket?.setNoDelay(true);
      res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end('event: html\ndata: <p>x</p>\n\n');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

export async function chatFirstToken(): Promise<{ overheadMs: number; lines: string[] }> {
  // The embedded provider reads its thread count here (the server's and the peer's alike).
  const threadsBefore = process.env.RAILBOOK_AI_THREADS;
  process.env.RAILBOOK_AI_THREADS = '1';
  const modelFile = tinyModelFile();
  const dataDir = resolveDataDir(mkdtempSync(path.join(tmpdir(), 'railbook-bench-chat-')));
  const cleanups: (() => Promise<void> | void)[] = [
    () => rmSync(dataDir, { recursive: true, force: true }),
    () => unloadLlamaModels(),
    () => {
      if (threadsBefore === undefined) delete process.env.RAILBOOK_AI_THREADS;
      else process.env.RAILBOOK_AI_THREADS = threadsBefore;
    },
  ];
  const calls: ProviderCall[] = [];
  cleanups.push(recordProviderCalls(calls));
  const samples: Record<ClientMode, ModeSamples> = {
    'post-stream': { firstToken: [], setup: [], model: [], back: [] },
    'two-requests': { firstToken: [], setup: [], model: [], back: [] },
  };
  const peer: number[] = [];
  const bare: number[] = [];
  let loads: string;
  try {
    const store = await Store.open(dataDir);
    cleanups.push(() => store.close());
    const engine = await Engine.start(store, await loadWorkflows(BUILTIN_WORKFLOWS_DIR));
    const server = await startServer({
      engine,
      port: 0,
      env: { RAILBOOK_AI_PROVIDER: 'llama', RAILBOOK_AI_MODEL_FILE: modelFile },
    });
    // server.close() shuts the engine down too.
    cleanups.push(() => server.close());
    const base = `http://127.0.0.1:${server.port}`;
    const floor = await bareSseServer();
    cleanups.push(() => floor.close());

    // A run page, as the person would be on: its pane's form carries the place and the token.
    const { state } = await engine.open('hello');
    const page = await (await fetch(`${base}/wf/hello/runs/${state.key}`)).text();
    const csrf = /name="csrf-token" content="([^"]+)"/.exec(page)?.[1];
    if (!csrf) throw new Error('no CSRF token on the run page');
    const ask = (mode: ClientMode): TurnAsk => ({ base, csrf, fields: { wf: 'hello', run: state.key, step: 'name' }, message: MESSAGE, mode, fresh: true });
    const bareAsk: TurnAsk = { base: floor.base, csrf, fields: {}, message: MESSAGE, mode: 'post-stream', fresh: false };

    const c = client();
    cleanups.push(() => c.close());
    const peerProvider = new LlamaProvider({ modelFile, threads: 1 });

    // Warm-up: the first turn loads the model and opens the memory; the request it sends the
    // model is the peer's from then on.
    let peerReq: ChatRequest | undefined;
    for (let i = 0; i < WARMUP; i++) {
      const before = calls.length;
      await c.turn(ask(MODES[i % MODES.length]!));
      peerReq ??= calls[before]?.req;
      if (peerReq) await providerFirstToken(peerProvider, peerReq);
      await c.turn(bareAsk);
    }
    if (!peerReq) throw new Error('the chat never called the embedded provider');
    const { signal: _signal, ...request } = peerReq;

    const runs: (() => Promise<void>)[] = [
      ...MODES.map((mode) => async () => {
        const before = calls.length;
        const r = await c.turn(ask(mode));
        const m = samples[mode];
        m.firstToken.push(r.firstToken);
        const call = calls[before];
        if (call?.firstAt !== undefined) {
          m.setup.push(call.calledAt - r.sentAt);
          m.model.push(call.firstAt - call.calledAt);
          m.back.push(r.arrivedAt - call.firstAt);
        }
      }),
      async () => {
        peer.push(await providerFirstToken(peerProvider, request));
      },
      async () => {
        bare.push((await c.turn(bareAsk)).firstToken);
      },
    ];
    for (let i = 0; i < ROUNDS; i++) {
      // Interleaved, and which goes first rotates, so the machine's noise hits every side alike.
      for (let j = 0; j < runs.length; j++) await runs[(i + j) % runs.length]!();
    }
    loads = readFileSync('/proc/loadavg', 'utf8').trim().split(' ').slice(0, 3).join(' ');
  } finally {
    for (const c of cleanups.reverse()) await c();
  }

  const peerMedian = median(peer);
  const overheadOf = (mode: ClientMode) => median(samples[mode].firstToken) - peerMedian;
  const signed = (x: number) => `${x >= 0 ? '+' : ''}${ms(x)}`;
  const lines = [
    `chat-first-token: ${ROUNDS} rounds, each (order rotating) a chat turn as chat.js sends it (the POST answering with the SSE stream), one the older way (POST, then GET the stream), LlamaProvider.chat's own first token with the request the chat sent it, and a bare SSE POST; ${WARMUP} warm-up rounds; tiny GGUF model, 1 thread; client in a child process; load average ${loads}`,
    `  provider's own first token (peer)                 median ${ms(peerMedian)} (p95 ${ms(p95(peer))})`,
  ];
  for (const mode of MODES) {
    const m = samples[mode];
    const o = overheadOf(mode);
    lines.push(
      `  chat, ${mode === 'post-stream' ? 'POST answering with the stream ' : 'POST, then GET the stream       '}   median ${ms(median(m.firstToken))} (p95 ${ms(p95(m.firstToken))}) → overhead ${signed(o)}${mode === 'post-stream' ? ` (goal ≤ +${GOAL_MS} ms: ${o <= GOAL_MS ? 'met' : 'NOT met'})` : ''}`,
      `    breakdown (medians; one clock across both processes): sent → provider called ${ms(median(m.setup))}, → provider's first token ${ms(median(m.model))}, → on the client ${ms(median(m.back))}`,
    );
  }
  lines.push(`  floor: a bare node:http POST answered with one SSE event, same client: median ${ms(median(bare))} (p95 ${ms(p95(bare))})`);
  return { overheadMs: overheadOf('post-stream'), lines };
}

// `node --import tsx bench/chat-first-token.ts`: this benchmark alone.
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  for (const line of (await chatFirstToken()).lines) console.log(line);
}
