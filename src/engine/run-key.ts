import { EngineError } from './errors.ts';

/** Run keys appear in URLs, file names and shells: keep them to a safe, readable alphabet. */
const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export function validateRunKey(key: string): string {
  const k = key.trim();
  if (!KEY.test(k)) {
    throw new EngineError('bad_key', `run key "${key}" may use only letters, digits, ".", "_" and "-" (1–100 characters, starting with a letter or digit)`);
  }
  return k;
}

/** `<profile>-<workflow>-<NN>`: two digits at least, and on past 99 (100, 101, …). */
export function formatRunKey(profile: string, workflow: string, n: number): string {
  return `${profile}-${workflow}-${String(n).padStart(2, '0')}`;
}
