import type { z } from 'zod';
import type { Child } from 'hono/jsx';
import type { ArtifactRef } from '../store/artifact-ref.ts';
import type { UploadedFile } from '../store/uploaded-file.ts';

/**
 * One value of a submitted form: text, or a file. The web app streams uploads to disk and hands
 * widgets an `UploadedFile`; a `File` (in memory) is what in-process callers and tests may pass.
 */
export type FormValue = string | File | UploadedFile;

/** What an HTML form body looks like once parsed: a name sent once is a value, a name sent again an array. */
export type FormBody = Record<string, FormValue | FormValue[]>;

/** Services a widget may need to turn a raw value (an upload, a local path) into a stored value. */
export interface PrepareContext {
  /** Store bytes as an artifact of the current run. */
  storeBytes(name: string, data: Uint8Array, mime?: string): Promise<ArtifactRef>;
  /** Move an upload that is already on disk into the run's artifacts (a rename: no second copy, no re-hash). */
  storeUpload(file: UploadedFile, name?: string, mime?: string): Promise<ArtifactRef>;
  /** Copy a local file (job files name uploads by path) into the run's artifacts, under `name` if given. */
  storeFile(localPath: string, name?: string, mime?: string): Promise<ArtifactRef>;
  /** Absolute path of a local file named in a job file (relative paths are relative to the job file). */
  localPath(p: string): string;
  /** Absolute path of the data folder, for widgets that list files. */
  dataDir: string;
  /** The one upload limit in bytes (a widget's own `maxBytes` may only narrow it). */
  maxUploadBytes: number;
}

export interface FieldRenderProps<T> {
  /** Form field name, equal to the key in the step's `fields`. */
  name: string;
  /** A DOM id unique on the page. */
  id: string;
  value: T | undefined;
  error?: string | undefined;
  disabled?: boolean;
  /** The app's upload limit in bytes, for file fields to state under their input. */
  maxUploadBytes?: number | undefined;
  /** For a widget that chooses another run (`runsOf`): that workflow's runs, newest first. */
  runs?: readonly RunChoice[] | undefined;
}

/** Another run a widget offers to choose (the run picker). */
export interface RunChoice {
  key: string;
  /** The run's number within its workflow, if it has one. */
  number: number | null;
  created: string;
  updated: string;
  finalized: boolean;
}

/**
 * An input widget: renders its form control, reads itself back from a form body, and validates
 * itself with a zod schema. The same schema checks job files and produces the JSON Schema of
 * the HTTP API, so a form, a job file and an MCP call can never disagree about what is valid.
 */
export interface InputWidget<T = unknown> {
  readonly kind: string;
  readonly label: string;
  readonly help?: string | undefined;
  /** Validates the value after `fromForm`/`prepare`. */
  readonly schema: z.ZodType<T>;
  /** The value shown when nothing was entered or suggested yet. */
  readonly initial?: T | undefined;
  /** Read the raw value out of a submitted HTML form. */
  fromForm(body: FormBody, name: string): unknown;
  /** Turn a raw value into the stored value (e.g. an upload into an artifact). Runs before validation. */
  prepare?(raw: unknown, ctx: PrepareContext): Promise<unknown>;
  /**
   * When a re-submitted form leaves this field empty, keep the value stored before (after a
   * revert, a file chosen earlier need not be chosen again). The kept value comes from the run
   * state on the server, never from the client.
   */
  readonly keepWhenEmpty?: boolean;
  /**
   * File fields: the largest file this field takes, when narrower than the app's upload limit
   * (undefined: the app's limit). The server stops reading an upload at this size.
   */
  readonly maxBytes?: number | undefined;
  /**
   * A widget that chooses one of another workflow's runs names that workflow here; the web layer
   * then lists its runs (the person's profile) into `FieldRenderProps.runs`.
   */
  readonly runsOf?: string | undefined;
  /** The stored value as a person reads it in outputs and the history: a choice's label ("Large"), not its value ("l"). */
  display?(value: T): string;
  /** JSON Schema of the value a job file or API caller gives (defaults to the zod schema's). */
  jsonSchema?(): Record<string, unknown>;
  render(props: FieldRenderProps<T>): Child;
}

export type Fields = Record<string, InputWidget<any>>;

/** The validated input type of a step with these fields. */
export type InputOf<F extends Fields> = { [K in keyof F]: F[K] extends InputWidget<infer T> ? T : never };
