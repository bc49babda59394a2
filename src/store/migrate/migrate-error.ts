/**
 * Why a migration stopped. `refused`: bad input or a state that must change first (exit 2);
 * nothing was written. `unreachable`: PostgreSQL could not be opened. `mismatch`: the copy read
 * back differently; the transaction was rolled back, `differences` says what differed.
 */
export class MigrateError extends Error {
  constructor(readonly kind: 'refused' | 'unreachable' | 'mismatch', message: string, readonly differences: readonly string[] = []) {
    super(message);
    this.name = 'MigrateError';
  }
}
