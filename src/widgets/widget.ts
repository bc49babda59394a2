import type { z } from 'zod';
import type { Child } from 'hono/jsx';
import type { ArtifactRef } from '../store/artifact-ref.ts';

/** What an HTML form body looks like once parsed (Hono's `parseBody({ all: true })`). */
export type FormBody = Record<string, string | File | (string | File)[]>;

/** Services a widget may need to turn a raw value (an upload, a local path) into a stored value. */
export interface PrepareContext {
  /** Store bytes as an artifact of the current run. */
  storeBytes(name: string, data: Uint8Array, mime?: string): Promise<ArtifactRef>;
  /** Copy a local file (job files name uploads by path) into the run's artifacts, under `name` if given. */
  storeFile(localPath: string, name?: string, mime?: string): Promise<ArtifactRef>;
  /** Absolute path of a local file named in a job file (relative paths are relative to the job file). */
  localPath(p: string): string;
  /** Absolute path of the data folder, for widgets that list files. */
  dataDir: string;
}

export interface FieldRenderProps<T> {
  /** Form field name, equal to the key in the step's `fields`. */
  name: string;
  /** A DOM id unique on the page. */
  id: string;
  value: T | undefined;
  error?: string | undefined;
  disabled?: boolean;
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
  /** The most bytes a form may send for this field (file uploads); the server refuses larger requests. */
  readonly maxBytes?: number;
  /** The stored value as a person reads it in outputs and the history: a choice's label ("Large"), not its value ("l"). */
  display?(value: T): string;
  /** JSON Schema of the value a job file or API caller gives (defaults to the zod schema's). */
  jsonSchema?(): Record<string, unknown>;
  render(props: FieldRenderProps<T>): Child;
}

export type Fields = Record<string, InputWidget<any>>;

/** The validated input type of a step with these fields. */
export type InputOf<F extends Fields> = { [K in keyof F]: F[K] extends InputWidget<infer T> ? T : never };
