// Both stores pass the same tests: a suite that concerns runs, events, profiles or settings is
// declared once per backend with `forEachBackend`.
export const BACKENDS = ['sqlite', 'postgres'] as const;
export type Backend = (typeof BACKENDS)[number];

/** Declares the suite once for each backend; `define` gets the backend to pass to tempEngine / startTestApp. */
export function forEachBackend(define: (backend: Backend) => void): void {
  for (const b of BACKENDS) define(b);
}
