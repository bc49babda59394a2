import type { TableName } from './tables.ts';

/** What `migrateToPostgres` takes and reports. */

/** An artifact a run refers to that the data folder does not hold as recorded. */
export interface ArtifactProblem {
  run: string;
  path: string;
  /** `absent`: no such file; `size`: a file of another size; `outside`: the reference leaves the data folder. */
  reason: 'absent' | 'size' | 'outside';
  expected?: number;
  actual?: number;
}

export interface MigrateProgress {
  phase: 'copying' | 'verifying';
  table: 'runs' | 'events' | 'artifacts';
  done: number;
  total: number;
}

export interface MigrateOptions {
  /** Called every `progressEvery` runs (ten times that many events, a tenth as many artifact files), copying and verifying. */
  onProgress?: (p: MigrateProgress) => void;
  progressEvery?: number;
}

export interface MigrateReport {
  dataDir: string;
  /** The target's URL without its password. */
  target: string;
  /** Rows copied (and read back equal) per table. */
  counts: Record<TableName, number>;
  /** SHA-256 over every table's rows in key order, equal on both sides. */
  sha256: Record<TableName, string>;
  /** Artifact references checked against the data folder (per run, each file once). */
  artifactsChecked: number;
  /**
   * Artifact files stored in PostgreSQL (every file in the folder of a copied run), and their bytes;
   * undefined where the schema keeps no artifacts in the database.
   */
  artifactFiles: { stored: number; bytes: number } | undefined;
  /** Folders under artifacts/ of runs the database does not hold (left behind, not stored). */
  strayArtifactFolders: string[];
  /** References whose file is missing or of another size: warnings (they were so before). */
  artifactProblems: ArtifactProblem[];
  /** Runs whose state is not JSON, so their artifacts could not be checked (copied as they are). */
  unreadableStates: string[];
  /** `executions` rows of dead owners left behind (their steps become interrupted on PostgreSQL). */
  staleExecutions: number;
  /** Profiles and settings the target held before (what a first start creates), replaced by the source's. */
  replaced: { profiles: number; settings: number };
}
