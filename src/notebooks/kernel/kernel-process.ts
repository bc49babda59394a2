// One kernel process: spawned from its kernelspec's argv with the connection file substituted,
// in its own process group (so an interrupt or kill reaches any children it started, and a
// Ctrl-C aimed at Railbook does not interrupt the kernel), with its output kept for error messages.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { withParentDeathSignal } from './parent-death.ts';
import { writeConnectionFile, type ConnectionInfo } from './connection-file.ts';
import type { Kernelspec } from './kernelspecs.ts';

const TAIL_BYTES = 4000;

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class KernelProcess {
  private tail = '';
  private exitInfo: ProcessExit | undefined;
  /** Settles when the process has exited (never rejects). */
  readonly exited: Promise<ProcessExit>;

  private constructor(
    readonly child: ChildProcess,
    readonly info: ConnectionInfo,
    private readonly dir: string,
  ) {
    const keep = (chunk: Buffer) => {
      this.tail = (this.tail + chunk.toString('utf8')).slice(-TAIL_BYTES);
    };
    // Both pipes must be drained, or a chatty kernel blocks on a full pipe.
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
      child.once('error', (err) => {
        this.tail += `\n${err.message}`;
        this.exitInfo ??= { code: null, signal: null };
        resolve(this.exitInfo);
      });
    });
    void this.exited.then(() => rmSync(this.dir, { recursive: true, force: true }));
  }

  static async spawn(spec: Kernelspec, cwd: string, extraEnv: Record<string, string> = {}): Promise<KernelProcess> {
    const { info, file, dir } = await writeConnectionFile(spec.name);
    const env = {
      ...process.env,
      ...spec.env,
      ...extraEnv,
      // ipykernel exits by itself when this parent goes away, so a crashed server leaves no orphan.
      JPY_PARENT_PID: String(process.pid),
    };
    // Other kernels are told by the system (parent-death.ts).
    const argv = withParentDeathSignal(spec.argv.map((a) => a.replaceAll('{connection_file}', file).replaceAll('{resource_dir}', spec.resourceDir)), env);
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    return new KernelProcess(child, info, dir);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get exit(): ProcessExit | undefined {
    return this.exitInfo;
  }

  /** The last few kilobytes the kernel printed (stderr and stdout), for error messages. */
  get outputTail(): string {
    return this.tail;
  }

  /**
   * Kills what is left of the process group and waits (up to `maxMs`) until none of it is still
   * running, so "shut down" means no process is left. SIGKILL is delivered at once but a process
   * takes a moment to go; zombies (dead, waiting for a reaper) count as gone. Linux only (/proc).
   */
  async killGroup(maxMs = 2000): Promise<void> {
    this.signal('SIGKILL');
    const pgid = this.child.pid;
    if (pgid === undefined || !existsSync('/proc/self/stat')) return;
    const deadline = Date.now() + maxMs;
    while (groupRunning(pgid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  }

  /**
   * Signals the whole process group. Once the kernel has exited only SIGKILL is still sent, to
   * sweep up anything it left running in its group.
   */
  signal(sig: NodeJS.Signals): void {
    if ((this.exitInfo && sig !== 'SIGKILL') || this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, sig);
    } catch {
      try {
        this.child.kill(sig);
      } catch {
        // Already gone.
      }
    }
  }
}

/** Is any process of group `pgid` still running (not a zombie)? From /proc/<pid>/stat. */
function groupRunning(pgid: number): boolean {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the parenthesised command: state, ppid, pgrp, …
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') return true;
  }
  return false;
}
