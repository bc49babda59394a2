// The worker thread a TypeScriptRunner runs cells in: its own globals, module cache and event loop,
// so one run's variables stay apart from another's and a runaway loop ends with the thread.
// Cells run as scripts in this thread's global context (not a vm context: objects from imported
// packages and from cells then share one realm, and `instanceof Array` means what it should).
// console, process.stdout/stderr and display() become outputs of the cell whose code called them:
// AsyncLocalStorage follows timers and promises back to the cell that started them, and what a
// finished cell's leftovers print later is dropped, not pinned on whichever cell runs then.
import { AsyncLocalStorage } from 'node:async_hooks';
import { Console } from 'node:console';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import type { KernelOutput, MimeBundle } from '../kernel/outputs.ts';
import { createDisplay, inspect, valueBundle } from './display.ts';
import { HELPER, type CellError, type ExecuteMessage, type WorkerMessage, type WorkerSetup } from './protocol.ts';

const port = parentPort;
if (!port) throw new Error('worker.ts is the entry of a TypeScriptRunner worker thread, not a module to import');
const setup = workerData as WorkerSetup;

/** The run whose code is executing, as seen from inside async callbacks. */
const cellRun = new AsyncLocalStorage<number>();
/** The run the main thread is waiting for, if any. */
let current: number | undefined;

function post(message: WorkerMessage): void {
  port!.postMessage(message);
}

/** An output of the code calling it, delivered only while that code's cell is still running. */
function emit(output: KernelOutput): void {
  const run = cellRun.getStore();
  if (run !== undefined && run === current) post({ type: 'output', run, output });
}

function streamText(name: 'stdout' | 'stderr', text: string): void {
  if (text) emit({ output_type: 'stream', name, text });
}

// --- output capture -------------------------------------------------------------------------

function outputStream(name: 'stdout' | 'stderr'): Writable {
  return new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, callback) {
      streamText(name, String(chunk));
      callback();
    },
  });
}

// A Console on streams that write synchronously: stdout and stderr lines keep their order.
globalThis.console = new Console({ stdout: outputStream('stdout'), stderr: outputStream('stderr'), colorMode: false });

for (const [stream, name] of [
  [process.stdout, 'stdout'],
  [process.stderr, 'stderr'],
] as const) {
  stream.write = ((chunk: string | Uint8Array, encoding?: unknown, callback?: unknown): boolean => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString(typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
    streamText(name, text);
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
    return true;
  }) as typeof stream.write;
}

// --- globals for cells ----------------------------------------------------------------------

const anchor = path.join(setup.cwd, '[notebook].js');
const anchorUrl = pathToFileURL(anchor).href;

/** Resolves like a script in the notebook's folder would: relative files there, node_modules there or above. */
function resolveFromNotebook(specifier: string): string {
  return import.meta.resolve(specifier, anchorUrl);
}

/**
 * tsx compiles a .ts file outside a `"type": "module"` package to CommonJS, and Node 20 then sees
 * no named exports in it (they are getters on module.exports, marked `__esModule`). For such a
 * module alone, named imports read module.exports' properties, as TypeScript's esModuleInterop does.
 */
function withNamedExports(ns: Record<string, unknown>): Record<string, unknown> {
  const exported = ns['default'] as Record<string, unknown> | null | undefined;
  const named = Object.keys(ns).filter((k) => k !== 'default' && k !== 'module.exports');
  if (named.length > 0 || typeof exported !== 'object' || exported === null || exported['__esModule'] !== true) return ns;
  return { ...exported, default: 'default' in exported ? exported['default'] : exported };
}

const helper = {
  async import(specifier: string, options?: ImportCallOptions): Promise<unknown> {
    return withNamedExports((await import(resolveFromNotebook(specifier), options)) as Record<string, unknown>);
  },
  meta: { url: anchorUrl, dirname: setup.cwd, filename: anchor, resolve: resolveFromNotebook },
};

Object.defineProperty(globalThis, HELPER, { value: helper, enumerable: false });
const globals = globalThis as Record<string, unknown>;
globals['require'] = createRequire(anchor);
globals['display'] = createDisplay((data: MimeBundle) => emit({ output_type: 'display_data', data, metadata: {} }));

// Errors nobody awaited must not end the thread (that would lose every variable): they go to the
// stderr of the cell whose code they came from while it runs, and are dropped otherwise. (Where
// Node keeps no async context for them, e.g. a throw in a microtask, the running cell gets them.)
function uncaught(what: string, err: unknown): void {
  const run = cellRun.getStore() ?? current;
  if (run === undefined || run !== current) return;
  post({ type: 'output', run, output: { output_type: 'stream', name: 'stderr', text: `${what} ${inspect(err)}\n` } });
}
process.on('uncaughtException', (err) => uncaught('Uncaught', err));
process.on('unhandledRejection', (reason) => uncaught('Uncaught (in promise)', reason));

// --- running cells --------------------------------------------------------------------------

async function execute(msg: ExecuteMessage): Promise<void> {
  current = msg.run;
  let done: WorkerMessage;
  try {
    for (const name of msg.names) if (!(name in globalThis)) globals[name] = undefined;
    const cell = new vm.Script(msg.code, { filename: msg.filename, lineOffset: -1 }).runInThisContext() as () => Promise<unknown>;
    const value = await cellRun.run(msg.run, cell);
    if (value !== undefined) {
      // execution_count is the main thread's to fill in.
      post({ type: 'output', run: msg.run, output: { output_type: 'execute_result', data: valueBundle(value), metadata: {}, execution_count: null } });
    }
    done = { type: 'done', run: msg.run, status: 'ok' };
  } catch (err) {
    done = { type: 'done', run: msg.run, status: 'error', error: describeError(err) };
  }
  current = undefined;
  post(done);
}

/** The error as Jupyter shows one; stack frames below the cell (this file, Node's internals) are cut. */
function describeError(err: unknown): CellError {
  if (!(err instanceof Error)) {
    const evalue = inspect(err);
    return { ename: 'Error', evalue, stack: [`Uncaught ${evalue}`] };
  }
  const lines = (err.stack ?? `${err.name}: ${err.message}`).split('\n');
  const own = fileUrlOrPath(import.meta.url);
  const isFrame = (line: string): boolean => /^\s+at /.test(line);
  const cellFrame = /[\s(]cell-\d+:\d+/;
  let last = -1;
  lines.forEach((line, i) => {
    if (isFrame(line) && cellFrame.test(line)) last = i;
  });
  // Below the outermost cell frame: only this file and Node's internals. Without one (a compile
  // error, a throw from a package's callback) those frames are dropped one by one.
  const kept = last >= 0 ? lines.slice(0, last + 1) : lines.filter((l) => !isFrame(l) || !(/[\s(]node:/.test(l) || l.includes(own)));
  return { ename: err.name, evalue: err.message, stack: kept };
}

function fileUrlOrPath(url: string): string {
  return url.startsWith('file:') ? new URL(url).pathname : url;
}

port.on('message', (msg: ExecuteMessage) => {
  if (msg.type === 'execute') void execute(msg);
});
post({ type: 'ready' });
