import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { isArtifactRef } from './artifact-ref.ts';
import type { Db } from './sqlite/sqlite-file.ts';

/** Bumped when the archive's layout or the manifest's meaning changes; restore refuses newer ones. */
export const BACKUP_FORMAT_VERSION = 1;

/** Where the manifest sits in the archive: first, so a reader learns what follows before it follows. */
export const MANIFEST_NAME = 'manifest.json';
export const DATABASE_NAME = 'railbook.db';

const fileSchema = z.object({
  path: z.string().min(1),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

const missingSchema = z.object({
  path: z.string(),
  run: z.string(),
  /**
   * `run-deleted`: the run was deleted while the backup ran (its row is in the database copy, its
   * files were gone when the artifacts were copied). `absent`: the run still existed and the file
   * was not there — the data folder was already missing it.
   */
  reason: z.enum(['run-deleted', 'absent']),
});

const manifestSchema = z.object({
  format: z.literal('railbook-backup'),
  formatVersion: z.number().int().positive(),
  railbookVersion: z.string(),
  created: z.string(),
  schemaVersion: z.number().int().nonnegative(),
  counts: z.object({ runs: z.number().int().nonnegative(), events: z.number().int().nonnegative(), artifactFiles: z.number().int().nonnegative(), bytes: z.number().int().nonnegative() }),
  /** Every file in the archive but the manifest: `railbook.db` and `artifacts/<run key>/<file>`. */
  files: z.array(fileSchema),
  missingArtifacts: z.array(missingSchema),
});

export type BackupFile = z.infer<typeof fileSchema>;
export type MissingArtifact = z.infer<typeof missingSchema>;
export type BackupManifest = z.infer<typeof manifestSchema>;

export class BackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupError';
  }
}

export function parseManifest(text: string): BackupManifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new BackupError(`${MANIFEST_NAME}: not valid JSON`);
  }
  const r = manifestSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new BackupError(`${MANIFEST_NAME}: ${issue.path.join('.') || '(top)'}: ${issue.message}`);
  }
  if (r.data.formatVersion > BACKUP_FORMAT_VERSION) {
    throw new BackupError(`this backup has format ${r.data.formatVersion}, newer than this Railbook reads (${BACKUP_FORMAT_VERSION}); upgrade Railbook`);
  }
  return r.data;
}

export interface DatabaseFacts {
  schemaVersion: number;
  runs: number;
  events: number;
  /** Every artifact a run's state refers to, with the run that holds it. */
  refs: { run: string; path: string; sha256: string; size: number }[];
}

/** What a database holds that a backup records and a restore checks. */
export function databaseFacts(db: Db): DatabaseFacts {
  const count = (table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  const refs: DatabaseFacts['refs'] = [];
  for (const row of db.prepare('SELECT key, state FROM runs ORDER BY key').iterate() as Iterable<{ key: string; state: string }>) {
    // A step's input and output often hold the same reference: once per run is enough.
    const seen = new Set<string>();
    collectRefs(JSON.parse(row.state), (r) => {
      if (seen.has(`${r.path}\n${r.sha256}`)) return;
      seen.add(`${r.path}\n${r.sha256}`);
      refs.push({ run: row.key, path: r.path, sha256: r.sha256, size: r.size });
    });
  }
  return { schemaVersion: db.pragma('user_version', { simple: true }) as number, runs: count('runs'), events: count('events'), refs };
}

function collectRefs(v: unknown, found: (r: { path: string; sha256: string; size: number }) => void): void {
  if (isArtifactRef(v)) {
    found({ path: v.path, sha256: v.sha256, size: typeof v.size === 'number' ? v.size : -1 });
    return;
  }
  if (Array.isArray(v)) for (const x of v) collectRefs(x, found);
  else if (typeof v === 'object' && v !== null) for (const x of Object.values(v)) collectRefs(x, found);
}

export function railbookVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
