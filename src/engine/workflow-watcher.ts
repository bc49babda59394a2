import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { Registry } from './registry.ts';

/**
 * Reloads a workflow file (or a notebook: each folder's files are read by the registry's loader
 * for that folder) when it is saved, so that "revert and run forward again" runs the
 * code as it is now — the notebook feel — without restarting the server. Editors save in
 * bursts (write, rename, chmod), hence the short debounce per file.
 */
export function watchWorkflows(
  registry: Registry,
  dirs: readonly string[],
  onReload: (file: string, error?: string) => void = () => {},
  debounceMs = 150,
): { close(): void } {
  const timers = new Map<string, NodeJS.Timeout>();
  // One reload at a time per file, in order: a slow import must not land after a later one.
  const queue = new Map<string, Promise<void>>();
  const watchers: FSWatcher[] = [];
  for (const dir of dirs) {
    let w: FSWatcher;
    try {
      w = watch(dir, { persistent: false });
    } catch {
      continue; // a missing folder is already reported as a load error
    }
    w.on('change', (_event, name) => {
      const base = typeof name === 'string' ? name : name?.toString();
      if (!base) return;
      const file = path.join(dir, base);
      if (!registry.accepts(file)) return;
      clearTimeout(timers.get(file));
      timers.set(file, setTimeout(() => {
        timers.delete(file);
        const next = (queue.get(file) ?? Promise.resolve())
          .then(() => registry.loadFile(file))
          .then(() => onReload(file, registry.errors.find((e) => e.file === file)?.message));
        queue.set(file, next);
        void next.finally(() => { if (queue.get(file) === next) queue.delete(file); });
      }, debounceMs));
    });
    w.on('error', () => w.close());
    watchers.push(w);
  }
  return {
    close() {
      for (const t of timers.values()) clearTimeout(t);
      for (const w of watchers) w.close();
    },
  };
}
