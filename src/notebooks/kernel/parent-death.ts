// A kernel must not outlive the Railbook process that started it, even when that process is
// killed (SIGKILL, a crash, an OOM kill) and has no chance to shut it down. ipykernel watches its
// parent itself (JPY_PARENT_PID); other kernels (xeus-python, IRkernel…) do not. On Linux the
// kernel is therefore started through util-linux's `setpriv --pdeathsig TERM`, which asks the
// kernel to be sent SIGTERM when its parent dies, then becomes the kernel (exec: same pid, so
// interrupts and shutdown work as before). Elsewhere, or without setpriv, the kernel starts as is.
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

function onPath(cmd: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = cmd.includes('/') ? [cmd] : (env.PATH ?? '').split(path.delimiter).filter(Boolean).map((d) => path.join(d, cmd));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // not here
    }
  }
  return undefined;
}

let setpriv: string | null | undefined;

/** `argv` prefixed so that the kernel gets SIGTERM when this process dies, where that is possible. */
export function withParentDeathSignal(argv: string[], env: NodeJS.ProcessEnv = process.env): string[] {
  if (process.platform !== 'linux' || argv.length === 0) return argv;
  setpriv ??= onPath('setpriv') ?? null;
  // A kernel command that is not there keeps its own "not found" error, rather than setpriv's.
  if (!setpriv || !onPath(argv[0]!, env)) return argv;
  return [setpriv, '--pdeathsig', 'TERM', ...argv];
}
