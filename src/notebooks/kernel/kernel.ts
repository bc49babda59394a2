// A running Jupyter kernel, spoken to directly over ZeroMQ: start it from a kernelspec, execute
// code with outputs streamed as they arrive, interrupt, restart, shut down, and notice when it
// dies. One Kernel object lives across restarts (each restart is a new process and connection).
import { KernelDiedError, KernelError } from './errors.ts';
import { heartbeat } from './heartbeat.ts';
import { Channels, type Channel } from './channels.ts';
import { KernelProcess, type ProcessExit } from './kernel-process.ts';
import type { Kernelspec } from './kernelspecs.ts';
import { outputFromMessage, type KernelOutput } from './outputs.ts';
import type { JupyterMessage } from './wire.ts';
import type { CellRunner } from '../cell-runner.ts';

export type KernelState = 'starting' | 'idle' | 'busy' | 'dead' | 'shutdown';

export interface KernelOptions {
  /** The kernel's working directory (a notebook's folder, so relative paths work as in Jupyter). */
  cwd: string;
  env?: Record<string, string> | undefined;
  /** How long to wait for the first kernel_info_reply. Default 30 s (a cold Python can be slow). */
  startTimeoutMs?: number | undefined;
  /** How long shutdown waits for the kernel to exit by itself before killing it. Default 3 s. */
  shutdownGraceMs?: number | undefined;
  onStateChange?: ((state: KernelState) => void) | undefined;
  /** Messages the connection dropped (bad signature, malformed). */
  onWarning?: ((message: string) => void) | undefined;
}

export interface ExecuteOptions {
  /** Called for each output as the kernel publishes it, in order. */
  onOutput?: ((output: KernelOutput) => void) | undefined;
  /** Jupyter's `store_history`: false for code the person did not write (replays, injected cells). */
  storeHistory?: boolean | undefined;
  /**
   * Jupyter's `stop_on_error`: abort requests queued behind this one if it fails. Off by default:
   * cells are sent one at a time here, and with it on ipykernel also aborts a request sent right
   * after the error reply (a `raises-exception` cell followed at once by the next one).
   */
  stopOnError?: boolean | undefined;
}

export interface ExecuteResult {
  status: 'ok' | 'error' | 'aborted';
  executionCount: number | null;
  /** For status "error": what the kernel reported (the same error also came as an output). */
  error?: { ename: string; evalue: string; traceback: string[] } | undefined;
}

interface PendingReply {
  resolve(msg: JupyterMessage): void;
  reject(err: Error): void;
}

interface RunningExecute {
  onOutput: ((output: KernelOutput) => void) | undefined;
  reply: JupyterMessage | undefined;
  idle: boolean;
  resolve(result: ExecuteResult): void;
  reject(err: Error): void;
}

export class Kernel implements CellRunner {
  private proc!: KernelProcess;
  private channels!: Channels;
  private readonly replies = new Map<string, PendingReply>();
  private readonly runs = new Map<string, RunningExecute>();
  private iopubSeen = false;
  private current: KernelState = 'starting';
  private stopping: 'shutdown' | 'restart' | undefined;
  private death: KernelDiedError | undefined;
  /** Set while stop() waits on an interrupt, so an exit then is explained as such. */
  private interrupting = false;
  private readonly inFlight = new Set<Promise<unknown>>();
  /** The content of the kernel's kernel_info_reply (language_info, implementation, …). */
  info: Record<string, unknown> = {};

  private constructor(
    readonly spec: Kernelspec,
    private readonly options: KernelOptions,
  ) {}

  /** Starts the kernel and resolves once it has answered kernel_info_request. */
  static async start(spec: Kernelspec, options: KernelOptions): Promise<Kernel> {
    const kernel = new Kernel(spec, options);
    await kernel.launch();
    return kernel;
  }

  /** The kernelspec's name, as `railbook kernels` lists it. */
  get label(): string {
    return this.spec.name;
  }

  get state(): KernelState {
    return this.current;
  }

  /** The kernel process id (changes on restart). */
  get pid(): number | undefined {
    return this.proc.pid;
  }

  /**
   * Runs `code`; resolves once the kernel has both replied and gone idle for it (so every output
   * has been delivered to onOutput). Rejects with KernelDiedError if the process dies meanwhile.
   */
  execute(code: string, opts: ExecuteOptions = {}): Promise<ExecuteResult> {
    const unusable = this.unusable();
    if (unusable) return Promise.reject(unusable);
    const msg = this.channels.codec.create('execute_request', {
      code,
      silent: false,
      store_history: opts.storeHistory ?? true,
      user_expressions: {},
      // No stdin channel: input() fails at once with the kernel's own error instead of hanging.
      allow_stdin: false,
      stop_on_error: opts.stopOnError ?? false,
    });
    const done = new Promise<ExecuteResult>((resolve, reject) => {
      this.runs.set(msg.header.msg_id, { onOutput: opts.onOutput, reply: undefined, idle: false, resolve, reject });
      this.channels.send('shell', msg).catch((err: Error) => this.failRun(msg.header.msg_id, err));
    });
    const tracked = done.catch(() => undefined).finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
    return done;
  }

  /**
   * The Stop button: interrupt, and if the running code has not ended within `graceMs` (it
   * ignores interrupts) or the kernel did not survive the interrupt (xeus-python exits on SIGINT),
   * restart the kernel. Resolves with what it took.
   */
  async stop(graceMs = 2000): Promise<'idle' | 'interrupted' | 'restarted'> {
    if (this.inFlight.size === 0 && !this.death) return 'idle';
    const proc = this.proc;
    if (!this.death) {
      this.interrupting = true;
      try {
        await this.interrupt();
        let timer: NodeJS.Timeout | undefined;
        const ended = await Promise.race([
          Promise.allSettled([...this.inFlight]).then(() => true),
          proc.exited.then(() => false),
          new Promise<boolean>((r) => (timer = setTimeout(() => r(false), graceMs))),
        ]);
        clearTimeout(timer);
        if (ended && !proc.exit) return 'interrupted';
      } catch {
        // An interrupt that could not be delivered: restarting is the way out.
      } finally {
        this.interrupting = false;
      }
    }
    await this.restart();
    return 'restarted';
  }

  /** Interrupts the running cell the way the kernelspec asks: SIGINT, or interrupt_request. */
  async interrupt(): Promise<void> {
    const unusable = this.unusable();
    if (unusable) throw unusable;
    if (this.spec.interruptMode === 'message') {
      const reply = await this.request('control', 'interrupt_request', {}, 5000);
      if (!reply) throw new KernelError(`kernel "${this.spec.name}" did not answer the interrupt request; restart it`);
    } else {
      this.proc.signal('SIGINT');
    }
  }

  /** Is the process there and answering heartbeats? (False while hung in native code, too.) */
  async isAlive(timeoutMs = 1000): Promise<boolean> {
    if (this.proc.exit) return false;
    return heartbeat(this.proc.info, timeoutMs);
  }

  /** A new kernel process with the same spec and folder: all variables are gone. */
  async restart(): Promise<void> {
    await this.terminate('restart');
    await this.launch();
  }

  /** Asks the kernel to exit, kills it after the grace period, and leaves no process behind. */
  async shutdown(): Promise<void> {
    await this.terminate('shutdown');
  }

  private async launch(): Promise<void> {
    this.stopping = undefined;
    this.death = undefined;
    this.iopubSeen = false;
    this.setState('starting');
    const proc = await KernelProcess.spawn(this.spec, this.options.cwd, this.options.env);
    this.proc = proc;
    this.channels = new Channels(proc.info, {
      onMessage: (channel, msg) => this.onMessage(channel, msg),
      onRejected: (channel, err) => this.options.onWarning?.(`kernel ${this.spec.name}, ${channel}: ${err.message}`),
    });
    void proc.exited.then((exit) => this.onExit(proc, exit));
    try {
      await this.waitUntilReady(proc);
    } catch (err) {
      this.stopping = 'shutdown';
      proc.signal('SIGKILL');
      await proc.exited;
      throw err;
    }
    this.setState('idle');
  }

  /**
   * Repeats kernel_info_request until the kernel answers on shell AND something has arrived on
   * iopub: a SUB socket misses what is published before its subscription reaches the kernel, and
   * an execute whose "idle" status was missed would wait forever.
   */
  private async waitUntilReady(proc: KernelProcess): Promise<void> {
    const timeoutMs = this.options.startTimeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    const command = this.spec.argv.join(' ');
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new KernelError(
          `kernel "${this.spec.name}" (${command}) did not answer within ${Math.round(timeoutMs / 1000)} s.` + tail(proc),
        );
      }
      let reply: JupyterMessage | undefined;
      try {
        reply = await this.request('shell', 'kernel_info_request', {}, Math.min(1000, left));
      } catch {
        const exit = await proc.exited;
        throw new KernelError(`kernel "${this.spec.name}" (${command}) exited while starting (${describeExit(exit)}).` + tail(proc));
      }
      if (reply && this.iopubSeen) {
        this.info = reply.content;
        return;
      }
      if (reply) await new Promise((r) => setTimeout(r, 50));
    }
  }

  private async terminate(reason: 'shutdown' | 'restart'): Promise<void> {
    const proc = this.proc;
    if (proc.exit) {
      if (reason === 'shutdown') this.setState('shutdown');
      return;
    }
    this.stopping = reason;
    const msg = this.channels.codec.create('shutdown_request', { restart: reason === 'restart' });
    this.channels.send('control', msg).catch(() => undefined);
    const grace = this.options.shutdownGraceMs ?? 3000;
    let timer: NodeJS.Timeout | undefined;
    const gone = await Promise.race([
      proc.exited.then(() => true),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), grace))),
    ]);
    clearTimeout(timer);
    if (!gone) proc.signal('SIGKILL');
    await proc.exited;
    await proc.killGroup();
  }

  private onExit(proc: KernelProcess, exit: ProcessExit): void {
    if (proc !== this.proc) return;
    this.channels.close();
    // Anything the kernel started in its process group goes with it.
    proc.signal('SIGKILL');
    let err: Error;
    if (this.stopping) {
      err = new KernelError(this.stopping === 'restart' ? 'the kernel was restarted' : 'the kernel was shut down');
      this.setState(this.stopping === 'restart' ? 'starting' : 'shutdown');
    } else {
      this.death = this.interrupting
        ? new KernelDiedError(this.spec.name, exit, proc.outputTail, 'the kernel exited when interrupted (this kernel does not survive interrupts)')
        : new KernelDiedError(this.spec.name, exit, proc.outputTail);
      err = this.death;
      this.setState('dead');
    }
    for (const pending of this.replies.values()) pending.reject(err);
    this.replies.clear();
    for (const run of this.runs.values()) run.reject(err);
    this.runs.clear();
  }

  private onMessage(channel: Channel, msg: JupyterMessage): void {
    const parentId = msg.parent_header.msg_id ?? '';
    if (channel === 'iopub') {
      this.iopubSeen = true;
      const run = this.runs.get(parentId);
      if (msg.header.msg_type === 'status') {
        const s = msg.content.execution_state;
        if ((s === 'busy' || s === 'idle') && this.current !== 'starting') this.setState(s);
        if (run && s === 'idle') {
          run.idle = true;
          this.settle(parentId, run);
        }
        return;
      }
      const output = run ? outputFromMessage(msg) : undefined;
      if (run && output) {
        try {
          run.onOutput?.(output);
        } catch (err) {
          this.options.onWarning?.(`an onOutput callback threw: ${(err as Error).message}`);
        }
      }
      return;
    }
    const run = channel === 'shell' ? this.runs.get(parentId) : undefined;
    if (run && msg.header.msg_type === 'execute_reply') {
      run.reply = msg;
      this.settle(parentId, run);
      return;
    }
    const pending = this.replies.get(parentId);
    if (pending) {
      this.replies.delete(parentId);
      pending.resolve(msg);
    }
  }

  /** An execute is over when its reply is in and the kernel went idle for it. */
  private settle(id: string, run: RunningExecute): void {
    const reply = run.reply;
    // An aborted request (after an earlier error) may come without a busy/idle pair.
    if (!reply || (!run.idle && reply.content.status !== 'aborted')) return;
    this.runs.delete(id);
    const c = reply.content;
    const status = c.status === 'ok' || c.status === 'aborted' ? c.status : 'error';
    run.resolve({
      status,
      executionCount: typeof c.execution_count === 'number' ? c.execution_count : null,
      error:
        status === 'error'
          ? {
              ename: String(c.ename ?? 'Error'),
              evalue: String(c.evalue ?? ''),
              traceback: Array.isArray(c.traceback) ? c.traceback.map(String) : [],
            }
          : undefined,
    });
  }

  private failRun(id: string, err: Error): void {
    const run = this.runs.get(id);
    if (!run) return;
    this.runs.delete(id);
    run.reject(err);
  }

  /** Sends a request and resolves with its reply, or undefined after `timeoutMs`. */
  private request(channel: 'shell' | 'control', type: string, content: object, timeoutMs: number): Promise<JupyterMessage | undefined> {
    const msg = this.channels.codec.create(type, content);
    const id = msg.header.msg_id;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.replies.delete(id);
        resolve(undefined);
      }, timeoutMs);
      this.replies.set(id, {
        resolve: (m) => (clearTimeout(timer), resolve(m)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.channels.send(channel, msg).catch((err: Error) => {
        this.replies.delete(id);
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  private unusable(): Error | undefined {
    if (this.death) return this.death;
    if (this.current === 'shutdown') return new KernelError(`kernel "${this.spec.name}" was shut down; start a new one`);
    if (this.current === 'starting') return new KernelError(`kernel "${this.spec.name}" is restarting; wait for restart() to finish`);
    return undefined;
  }

  private setState(state: KernelState): void {
    if (state === this.current) return;
    this.current = state;
    this.options.onStateChange?.(state);
  }
}

function describeExit(exit: ProcessExit): string {
  return exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
}

function tail(proc: KernelProcess): string {
  const text = proc.outputTail.trim();
  return text ? `\nLast output of the kernel:\n${text}` : '';
}
