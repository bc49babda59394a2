/** ISO-8601 timestamps everywhere in state and events; one place to change it. */
export function now(): string {
  return new Date().toISOString();
}
