import type { Child } from 'hono/jsx';
import type { Fields, InputOf } from '../widgets/widget.ts';
import type { ArtifactRef } from '../store/artifact-ref.ts';
import type { ResourceHooks, RunResource } from './run-resources.ts';

/** Progress of a long step: `done` of `total` units (total may be unknown), and what it is doing. */
export interface Progress {
  done: number;
  total?: number | undefined;
  message?: string | undefined;
}

/** Writes large outputs as artifact files of the run instead of strings inside the state JSON. */
export interface ArtifactWriter {
  write(name: string, data: Uint8Array | string, mime?: string): Promise<ArtifactRef>;
  /** Absolute path of an artifact on disk, for reading it back. */
  resolve(ref: ArtifactRef): string;
  /** The run's artifacts folder (absolute), for code that writes files there itself. */
  readonly dir: string;
}

/** What a step's `run` receives. `outputs` holds the typed outputs of every earlier step. */
export interface StepContext<I, Prev> {
  input: I;
  outputs: Prev;
  runKey: string;
  profile: string;
  progress(p: Progress): void;
  signal: AbortSignal;
  artifacts: ArtifactWriter;
  /**
   * The step's output so far, while it runs (a notebook cell's first lines): shown on the page
   * through the step's `render` and sent to watchers, until the final output replaces it.
   */
  partial(output: unknown): void;
  /**
   * Something this run keeps between its steps (a kernel): created by `create` on first use,
   * disposed when the run is finalized or deleted, after an idle time, and at shutdown, and told
   * about reverts (see run-resources.ts).
   */
  resource<T extends RunResource>(name: string, create: (hooks: ResourceHooks) => Promise<T>): Promise<T>;
  /** The AI model, for a short comment on the step's data (the "peanut gallery"). */
  ai: StepAiContext;
  /**
   * Another run, to read (the link graph reads a crawl run's file): the outputs of its done steps
   * and its artifacts folder, brought into the data folder first on PostgreSQL. Rejects with a
   * message a person reads when there is no such run.
   */
  otherRun(key: string): Promise<OtherRun>;
}

/** What `ctx.otherRun` gives: another run, to read only. */
export interface OtherRun {
  key: string;
  workflowId: string;
  profile: string;
  /** The outputs of its done steps, by step id. */
  outputs: Record<string, unknown>;
  /** Its artifacts folder (absolute); files a step wrote there itself are in it too. */
  artifactsDir: string;
}

/**
 * A model's comment on a step's data, as a step keeps it in its output (so a revert clears it like
 * any output). `streaming` only while it arrives; `stopped` when the step's signal stopped it;
 * `unavailable` when no model is connected (`note` says how to connect one); `failed` when the
 * model broke off (`note` says why; `text` keeps what came before).
 */
export interface ModelComment {
  status: 'streaming' | 'done' | 'stopped' | 'unavailable' | 'failed';
  /** The model's markdown: untrusted, render it with the modelComment view (sanitized). */
  text: string;
  model?: string | undefined;
  /** For a person: the help when unavailable, the error when failed, a cut at the token limit. */
  note?: string | undefined;
}

export interface ModelCommentRequest {
  /** What to comment on, in words ("What stands out in these numbers?"). */
  prompt: string;
  /** The step's data, sent as JSON within a budget. */
  data?: unknown;
  /** Longest answer, in tokens (default 300). */
  maxTokens?: number | undefined;
  /**
   * The comment so far (status `streaming`), once when the model is asked and then per token: hand
   * it to `partial` to show it live, e.g. `onText: (comment) => partial({ ...stats, comment })`.
   */
  onText?: ((soFar: ModelComment) => void) | undefined;
}

/** What a step sees as `ctx.ai`. Never rejects: no model, a failure or a stop are in the status. */
export interface StepAiContext {
  comment(req: ModelCommentRequest): Promise<ModelComment>;
}

/** Where a comment is asked from: the system prompt names it, the chat files it under it. */
export interface StepPlace {
  profile: string;
  runKey: string;
  workflowId: string;
  stepId: string;
  stepTitle: string;
}

/**
 * What the engine is given (EngineOptions.ai) to serve `ctx.ai`: the engine adds the step's place
 * and its AbortSignal (stopping the step stops the model). src/ai implements it (peanut-gallery.ts).
 */
export interface StepAi {
  comment(req: ModelCommentRequest & { place: StepPlace; signal: AbortSignal }): Promise<ModelComment>;
}

export interface RenderContext {
  runKey: string;
  workflowId: string;
  /** URL under which the web app serves an artifact. */
  artifactUrl(ref: ArtifactRef): string;
  /**
   * URL of an HTML artifact served as a sandboxed document of its own, for an `<iframe
   * sandbox="allow-scripts">`: its scripts run, but never with the app's origin.
   */
  frameUrl(ref: ArtifactRef): string;
  /** Rendering a running step's output so far (ctx.partial), not its final output. */
  live?: boolean | undefined;
}

export interface SuggestContext<Prev> {
  outputs: Prev;
  runKey: string;
}

export interface StepDef<Id extends string, F extends Fields, O, Prev> {
  id: Id;
  title: string;
  /** Markdown shown above the step's form. */
  docs?: string;
  fields: F;
  /** The step's work. Without it the step's output is its validated input. */
  run?: (ctx: StepContext<InputOf<F>, Prev>) => Promise<O> | O;
  /** Default values suggested from earlier steps (shown pre-filled; the person may change them). */
  suggest?: (ctx: SuggestContext<Prev>) => Partial<InputOf<F>> | undefined;
  /** Keep this step's value when an earlier step is reverted. */
  keepOnRevert?: boolean;
  /** Label of the submit button. */
  submitLabel?: string;
  /** How the output looks once the step is done. Defaults to a key/value view. */
  render?: (output: O, ctx: RenderContext) => Child;
  /** The code the step runs, shown collapsed on its card ("Show code"), unless `hidden`. */
  source?: StepSource | undefined;
  /**
   * This version of the step's work (a hash of its code). A run records the version each step ran
   * with, so the run page can say which steps changed since.
   */
  version?: string | undefined;
}

export interface StepSource {
  code: string;
  language: string;
  hidden?: boolean | undefined;
}

/** A step with its types erased, as the engine and the web layer handle it. */
export interface AnyStep {
  id: string;
  title: string;
  docs?: string | undefined;
  fields: Fields;
  run?: ((ctx: StepContext<any, any>) => unknown) | undefined;
  suggest?: ((ctx: SuggestContext<any>) => Record<string, unknown> | undefined) | undefined;
  keepOnRevert?: boolean | undefined;
  submitLabel?: string | undefined;
  render?: ((output: any, ctx: RenderContext) => Child) | undefined;
  source?: StepSource | undefined;
  version?: string | undefined;
}

export interface WorkflowMeta {
  id: string;
  title: string;
  /** Markdown shown on the workflow's landing page. */
  description?: string;
  /** Where it was built from, when not a workflow file: a notebook, shown as such in lists. */
  origin?: WorkflowOrigin | undefined;
}

export interface WorkflowOrigin {
  kind: 'notebook';
  /** Absolute path of the file. */
  file: string;
  /** What the file says runs its cells ("python3", "typescript (Node)"). */
  runner?: string | undefined;
}

export interface Workflow extends WorkflowMeta {
  readonly steps: readonly AnyStep[];
}

const ID = /^[a-z][a-z0-9_]{0,39}$/;

/**
 * A workflow is built top to bottom, one `.step()` at a time, like notebook cells. Each call
 * adds the step's output type to what later steps see in `outputs`, so a typo in
 * `outputs.nmae` is a type error, not a runtime surprise.
 */
export class WorkflowBuilder<Prev extends Record<string, unknown>> implements Workflow {
  readonly id: string;
  readonly title: string;
  readonly description?: string;
  readonly origin?: WorkflowOrigin;
  readonly steps: AnyStep[] = [];

  constructor(meta: WorkflowMeta) {
    if (!ID.test(meta.id)) {
      throw new Error(`workflow id "${meta.id}" must be lower-case letters, digits or "_", starting with a letter (and no "-", which separates a run key's parts)`);
    }
    this.id = meta.id;
    this.title = meta.title;
    if (meta.description !== undefined) this.description = meta.description;
    if (meta.origin !== undefined) this.origin = meta.origin;
  }

  step<Id extends string, F extends Fields, O = InputOf<F>>(
    def: StepDef<Id, F, O, Prev>,
  ): WorkflowBuilder<Prev & { [K in Id]: O }> {
    if (!ID.test(def.id)) throw new Error(`step id "${def.id}" in workflow "${this.id}" must match ${ID}`);
    if (this.steps.some((s) => s.id === def.id)) throw new Error(`step id "${def.id}" appears twice in workflow "${this.id}"`);
    this.steps.push(def as unknown as AnyStep);
    return this as unknown as WorkflowBuilder<Prev & { [K in Id]: O }>;
  }
}

export function findStep(wf: Workflow, id: string): AnyStep | undefined {
  return wf.steps.find((s) => s.id === id);
}

export function workflow(meta: WorkflowMeta): WorkflowBuilder<{}> {
  return new WorkflowBuilder(meta);
}
