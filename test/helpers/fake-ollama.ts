/**
 * A real HTTP server on 127.0.0.1 (port 0) that answers as Ollama's API is documented
 * (docs/api.md, docs.ollama.com/api/errors): `/api/chat` as NDJSON lines then a `done:true` line,
 * `{"error": …}` bodies with 404 for a model it does not have, `{"error"}` lines mid-stream,
 * `/api/embed`, `/api/tags`, `/api/pull` progress lines, `/api/version`. Each test scripts it
 * (tokens and delays, tool calls, how the answer ends) and reads back the requests it got.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface FakeModel {
  name: string;
  size: number;
  modified_at: string;
  family: string;
}

/** How the fake answers the next `/api/chat`s. */
export interface ChatScript {
  /** Content pieces, one line each. */
  tokens: string[];
  /** Before the first line — and so before the headers, as Ollama writes none until it has one. */
  firstDelayMs?: number;
  /** Between lines. */
  delayMs?: number;
  /** Sent in one line after the tokens, as Ollama streams them: `{function: {name, arguments}}`. */
  toolCalls?: { name: string; arguments: Record<string, unknown> }[];
  doneReason?: string;
  promptEvalCount?: number;
  evalCount?: number;
  /**
   * After the tokens: `done` (the final line, the default), an `{"error"}` line, `drop` (the
   * socket destroyed without ending the chunked body) or `hang` (nothing more, connection open).
   */
  end?: 'done' | 'drop' | 'hang' | { error: string };
  /** Writes each line in two chunks with a pause between, so the client sees lines split. */
  splitLines?: boolean;
  /** Sends this body verbatim instead (status 200, NDJSON), for protocol garbage. */
  raw?: string;
  /**
   * After the token at index `after` is written, waits for `release` before going on: lets a test
   * look at a half-streamed answer without depending on timing.
   */
  hold?: { after: number; release: Promise<unknown> };
}

export interface RecordedRequest {
  method: string;
  path: string;
  /** The parsed JSON body, or undefined when there was none. */
  body: unknown;
}

const MISSING = (name: string) => `model "${name}" not found, try pulling it first`;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Waits, but no longer than the client stays: a closed connection ends the pause at once. */
function pause(ms: number, res: ServerResponse): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      res.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    res.on('close', done);
  });
}

export class FakeOllama {
  readonly requests: RecordedRequest[] = [];
  models: FakeModel[] = [
    { name: 'gemma3:1b', size: 815_319_791, modified_at: '2025-03-12T10:01:02.123456789Z', family: 'gemma3' },
    { name: 'nomic-embed-text:latest', size: 274_302_450, modified_at: '2025-02-01T08:00:00Z', family: 'nomic-bert' },
  ];
  chat: ChatScript = { tokens: ['Hello', ',', ' world'] };
  /** One vector per input; replace to answer wrongly. */
  embed: (inputs: string[]) => number[][] = (inputs) => inputs.map((s) => [s.length, s.charCodeAt(0) || 0, 0.5]);
  version = '0.5.7';
  /** When set, `/api/version` answers with this status and an error body. */
  versionStatus: number | undefined;
  /** Models the "registry" has: pulling one streams `pullLines`, any other gets an error line. */
  pullable = new Set(['tinyllama']);
  pullLines: Record<string, unknown>[] = [
    { status: 'pulling manifest' },
    { status: 'downloading sha256:2af3b81862c6', digest: 'sha256:2af3b81862c6', total: 1000 },
    { status: 'downloading sha256:2af3b81862c6', digest: 'sha256:2af3b81862c6', total: 1000, completed: 400 },
    { status: 'downloading sha256:2af3b81862c6', digest: 'sha256:2af3b81862c6', total: 1000, completed: 1000 },
    { status: 'verifying sha256 digest' },
    { status: 'writing manifest' },
    { status: 'removing any unused layers' },
    { status: 'success' },
  ];

  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private lastChatSocket: Promise<void> | undefined;

  private constructor() {
    this.server = createServer((req, res) => {
      void this.handle(req, res).catch((err: unknown) => {
        // A fake that fails must say so loudly rather than hang the test.
        console.error('fake-ollama:', err);
        res.destroy();
      });
    });
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  static async start(): Promise<FakeOllama> {
    const fake = new FakeOllama();
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get url(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** Resolves when the connection that carried the latest `/api/chat` is closed. */
  chatConnectionClosed(): Promise<void> {
    if (!this.lastChatSocket) throw new Error('no /api/chat request yet');
    return this.lastChatSocket;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const body: unknown = text === '' ? undefined : JSON.parse(text);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    this.requests.push({ method: req.method ?? 'GET', path, body });
    const b = (body ?? {}) as Record<string, unknown>;

    if (req.method === 'GET' && path === '/api/version') {
      if (this.versionStatus !== undefined) return json(res, this.versionStatus, { error: 'something went wrong' });
      return json(res, 200, { version: this.version });
    }
    if (req.method === 'GET' && path === '/api/tags') {
      return json(res, 200, {
        models: this.models.map((m) => ({
          name: m.name,
          model: m.name,
          modified_at: m.modified_at,
          size: m.size,
          digest: 'fe938a131f40e6f6d40083c9f0f430a515233eb2edaa6d72eb85c50d64f2300e',
          details: { format: 'gguf', family: m.family, families: null, parameter_size: '1B', quantization_level: 'Q4_0' },
        })),
      });
    }
    if (req.method === 'POST' && path === '/api/embed') {
      const model = String(b['model']);
      if (!this.has(model)) return json(res, 404, { error: MISSING(model) });
      const input = Array.isArray(b['input']) ? (b['input'] as string[]) : [String(b['input'])];
      return json(res, 200, { model, embeddings: this.embed(input), total_duration: 14143917, load_duration: 1019500, prompt_eval_count: 8 });
    }
    if (req.method === 'POST' && path === '/api/chat') {
      const model = String(b['model']);
      if (!this.has(model)) return json(res, 404, { error: MISSING(model) });
      const socket = req.socket;
      this.lastChatSocket = socket.destroyed ? Promise.resolve() : new Promise((resolve) => socket.once('close', () => resolve()));
      return this.streamChat(model, res);
    }
    if (req.method === 'POST' && path === '/api/pull') {
      const model = String(b['model']);
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      if (!this.pullable.has(model)) {
        res.write(line({ status: 'pulling manifest' }));
        res.end(line({ error: 'pull model manifest: file does not exist' }));
        return;
      }
      for (const l of this.pullLines) {
        res.write(line(l));
        await sleep(2);
      }
      res.end();
      return;
    }
    // Ollama's router (Gin) answers an unknown route in plain text.
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('404 page not found');
  }

  private has(model: string): boolean {
    return this.models.some((m) => m.name === model || m.name === `${model}:latest`);
  }

  private async streamChat(model: string, res: ServerResponse): Promise<void> {
    const s = this.chat;
    const gone = () => res.destroyed || res.socket === null || res.socket.destroyed;
    if (s.raw !== undefined) {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.end(s.raw);
      return;
    }
    const stamp = () => new Date().toISOString();
    const send = async (obj: Record<string, unknown>) => {
      const l = line(obj);
      if (s.splitLines) {
        const cut = Math.floor(l.length / 2);
        res.write(l.slice(0, cut));
        await pause(5, res);
        if (gone()) return;
        res.write(l.slice(cut));
      } else {
        res.write(l);
      }
    };

    if (s.firstDelayMs) await pause(s.firstDelayMs, res);
    if (gone()) return;
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    for (const [i, token] of s.tokens.entries()) {
      if (i > 0 && s.delayMs) await pause(s.delayMs, res);
      if (gone()) return;
      await send({ model, created_at: stamp(), message: { role: 'assistant', content: token }, done: false });
      if (s.hold && s.hold.after === i) await Promise.race([s.hold.release, new Promise((r) => res.once('close', r))]);
    }
    if (s.toolCalls && s.toolCalls.length > 0) {
      if (s.delayMs) await pause(s.delayMs, res);
      if (gone()) return;
      const calls = s.toolCalls.map((c) => ({ function: { name: c.name, arguments: c.arguments } }));
      await send({ model, created_at: stamp(), message: { role: 'assistant', content: '', tool_calls: calls }, done: false });
    }
    if (s.delayMs) await pause(s.delayMs, res);
    if (gone()) return;
    const end = s.end ?? 'done';
    if (end === 'hang') return;
    if (end === 'drop') {
      // Let the written lines reach the client before the connection goes, as a crash would.
      await pause(20, res);
      res.socket?.destroy();
      return;
    }
    if (typeof end === 'object') {
      res.end(line({ error: end.error }));
      return;
    }
    const final: Record<string, unknown> = {
      model,
      created_at: stamp(),
      message: { role: 'assistant', content: '' },
      done_reason: s.doneReason ?? 'stop',
      done: true,
      total_duration: 4883583458,
      load_duration: 1334875,
      prompt_eval_count: s.promptEvalCount ?? 26,
      prompt_eval_duration: 342546000,
      eval_count: s.evalCount ?? s.tokens.length,
      eval_duration: 4535599000,
    };
    res.end(line(final));
  }
}

function line(obj: Record<string, unknown>): string {
  return `${JSON.stringify(obj)}\n`;
}

function json(res: ServerResponse, status: number, obj: unknown): void {
  const text = JSON.stringify(obj);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** A port where nothing listens (bound, then let go). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
