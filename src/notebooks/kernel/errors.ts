// Why a kernel could not do what was asked, in words a notebook author can act on.

/** The kernel could not be started, or did not answer, or refused a request. */
export class KernelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KernelError';
  }
}

/**
 * The kernel process ended while work was pending (killed, crashed, out of memory). Its state is
 * gone: the caller has to start a new kernel and replay what it needs.
 */
export class KernelDiedError extends KernelError {
  constructor(
    readonly kernelName: string,
    readonly exit: { code: number | null; signal: NodeJS.Signals | null },
    readonly stderrTail: string,
    what = 'the kernel died',
  ) {
    const how = exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
    const tail = stderrTail.trim() ? `\nLast output of the kernel:\n${stderrTail.trim()}` : '';
    super(`${what} (${kernelName}, ${how}); start it again to go on — its variables are lost.${tail}`);
    this.name = 'KernelDiedError';
  }
}
