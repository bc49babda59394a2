import type { Child } from 'hono/jsx';
import type { StepStatus } from '../../engine/run-state.ts';
import type { AnyStep, Progress, RenderContext } from '../../engine/workflow.ts';
import { codeView, keyValues, type RunChoice } from '../../widgets/index.ts';
import { displayValue } from '../../widgets/display.ts';
import { formatDuration, formatTime } from './format.ts';
import { Csrf } from './layout.tsx';
import { Markdown } from './markdown.tsx';
import { ProgressView } from './progress.tsx';
import { RevertConfirm, revertSlotId, type RevertConfirmModel } from './revert-confirm.tsx';
import { stepDomId, urls } from './urls.ts';
import { When } from './when.tsx';

/** Everything one step's card shows; built from the run state by the routes. */
export interface CardModel {
  wfId: string;
  runKey: string;
  step: AnyStep;
  /** 1-based position in the workflow. */
  number: number;
  status: StepStatus;
  finalized: boolean;
  /** Done, but the step's code changed since it ran (its `version` differs). */
  changed?: boolean | undefined;
  output: unknown;
  error?: string | undefined;
  startedAt: string | null;
  finishedAt: string | null;
  /** What the form shows: earlier input, a suggestion, or what was just sent. */
  values: Record<string, unknown>;
  /** Per-field messages ("" for the whole form). */
  errors: Record<string, string>;
  progress?: Progress | undefined;
  /** A running step's output so far (ctx.partial), shown live under its progress. */
  partial?: unknown;
  renderCtx: RenderContext;
  csrf: string;
  /** The app's upload limit (bytes), which file fields state under their input. */
  maxUploadBytes?: number | undefined;
  /** For fields that choose another run (`runsOf`): that workflow's runs, by field name. */
  runChoices?: Record<string, RunChoice[]> | undefined;
  /** A message about the last action on this step (e.g. it could not be stopped). */
  notice?: string | undefined;
  /** Asking before a revert to this step: what it would clear. */
  revertConfirm?: RevertConfirmModel | undefined;
}

const BADGE: Record<StepStatus, string> = {
  pending: 'To do',
  running: 'Running',
  done: '✓ Done',
  failed: 'Failed',
  cancelled: 'Stopped',
  interrupted: 'Interrupted',
};

/** One step as an `<article id="step-<id>">`: its output when done, its progress while running, else its form. */
export function StepCard({ m }: { m: CardModel }): Child {
  const domId = stepDomId(m.step.id);
  const running = m.status === 'running';
  // A running card listens to its own event stream and reloads itself once the step is over.
  const live = running
    ? {
        'sse-connect': urls.events(m.wfId, m.runKey, m.step.id),
        'sse-close': 'done',
        'hx-get': urls.step(m.wfId, m.runKey, m.step.id),
        'hx-trigger': 'sse:done',
        'hx-swap': 'outerHTML',
      }
    : {};
  return (
    <article id={domId} class={`step step-${m.status}`} data-step={m.step.id} data-status={m.status} aria-labelledby={`${domId}-title`} {...live}>
      <header class="step-header">
        <h2 id={`${domId}-title`}>
          <span class="step-number">{m.number}.</span> {m.step.title}
        </h2>
        <span class={`badge badge-${m.status}`}>{BADGE[m.status]}</span>
        {/* Folds a done step down to this header (app.js shows the button; without JavaScript every card stays open). */}
        {m.status === 'done' ? (
          <button type="button" class="step-toggle secondary outline small" data-toggle-step aria-expanded="true" aria-controls={domId} hidden>
            <span class="visually-hidden">Fold or unfold step {m.number}</span>
            <span aria-hidden="true">▾</span>
          </button>
        ) : null}
      </header>
      {m.notice ? <p class="notice" role="alert">{m.notice}</p> : null}
      {m.status === 'done' ? <DoneBody m={m} /> : running ? <RunningBody m={m} /> : <FormBody m={m} />}
    </article>
  );
}

function DoneBody({ m }: { m: CardModel }): Child {
  return (
    <>
      {m.changed ? (
        <p class="notice step-changed" role="note">
          The code of this step changed since it ran. {m.finalized ? 'Unfinalize the run and revert' : 'Revert'} to this step to run the current code.
        </p>
      ) : null}
      <StepSourceView step={m.step} />
      <div class="step-output">{renderOutput(m)}</div>
      <footer class="step-footer">
        <small class="step-meta">
          {m.finishedAt ? <>Done <When iso={m.finishedAt} phrase /></> : 'Done'}
          {m.step.run && m.startedAt && m.finishedAt ? ` · took ${formatDuration(m.startedAt, m.finishedAt)}` : ''}
        </small>
        {m.finalized ? null : (
          // Asks first when the revert would clear outputs: the question lands in the slot below.
          <form method="post" action={urls.revert(m.wfId, m.runKey, m.step.id)} hx-post={urls.revert(m.wfId, m.runKey, m.step.id)} hx-target={`#${revertSlotId(m.step.id)}`} hx-swap="innerHTML" class="inline-form revert-form">
            <Csrf token={m.csrf} />
            <button type="submit" class="secondary outline small" aria-label={`Revert to step ${m.number}: ${m.step.title}`}>
              ↶ Revert
            </button>
          </form>
        )}
      </footer>
      <div id={revertSlotId(m.step.id)} class="revert-slot">
        {m.revertConfirm ? <RevertConfirm wfId={m.wfId} runKey={m.runKey} stepId={m.step.id} number={m.number} title={m.step.title} csrf={m.csrf} c={m.revertConfirm} /> : null}
      </div>
    </>
  );
}

/** A running step's output so far, through the step's own render (told it is live). */
export function LiveOutput({ step, output, ctx }: { step: AnyStep; output: unknown; ctx: RenderContext }): Child {
  try {
    return step.render ? step.render(output, { ...ctx, live: true }) : keyValues(output, { artifactUrl: ctx.artifactUrl });
  } catch (e) {
    return <p class="step-error">The output so far could not be shown: {e instanceof Error ? e.message : String(e)}</p>;
  }
}

/** The code a step runs, folded ("Show code"), highlighted; nothing when the step hides it. */
export function StepSourceView({ step }: { step: AnyStep }): Child {
  const src = step.source;
  if (!src || src.hidden || src.code.trim() === '') return null;
  return (
    <details class="step-source">
      <summary>Show code</summary>
      {codeView(src.code, src.language)}
    </details>
  );
}

function renderOutput(m: CardModel): Child {
  try {
    return m.step.render ? m.step.render(m.output, m.renderCtx) : keyValues(labelled(m), { artifactUrl: m.renderCtx.artifactUrl });
  } catch (e) {
    return <p class="step-error">This step's output could not be shown: {e instanceof Error ? e.message : String(e)}</p>;
  }
}

/**
 * A step without work records its input as its output: show it under the fields' labels ("Project
 * title"), as the form asked for it, rather than under the field names ("title").
 */
function labelled(m: CardModel): unknown {
  const out = m.output;
  if (m.step.run || typeof out !== 'object' || out === null || Array.isArray(out)) return out;
  const entries = Object.entries(out);
  const labels = entries.map(([k]) => m.step.fields[k]?.label ?? k);
  // A choice shows its label ("Large"), not the value stored for it ("l").
  const shown = entries.map(([k, v]) => displayValue(m.step.fields[k], v));
  if (new Set(labels).size !== labels.length) return Object.fromEntries(entries.map(([k], i) => [k, shown[i]]));
  return Object.fromEntries(entries.map((_, i) => [labels[i]!, shown[i]]));
}

function RunningBody({ m }: { m: CardModel }): Child {
  const stop = urls.cancel(m.wfId, m.runKey, m.step.id);
  return (
    <>
      <StepSourceView step={m.step} />
      <div id={`progress-${m.step.id}`} class="progress-slot" sse-swap="progress" hx-swap="innerHTML">
        <ProgressView progress={m.progress} label={`Progress of ${m.step.title}`} />
      </div>
      {/* The kernel went busy, idle, restarted…: the run bar shows it. */}
      <div hidden hx-get={urls.runBar(m.wfId, m.runKey)} hx-trigger="sse:resources" hx-target="#run-bar" hx-swap="outerHTML" />
      {/* Output so far: replaced by each `partial` event of the step's stream. */}
      <div id={`live-${m.step.id}`} class="step-output live-output" sse-swap="partial" hx-swap="innerHTML" aria-live="polite">
        {m.partial !== undefined ? <LiveOutput step={m.step} output={m.partial} ctx={m.renderCtx} /> : null}
      </div>
      <footer class="step-footer">
        <small class="step-meta">
          {m.startedAt ? <>Started <When iso={m.startedAt} phrase />. It keeps running if you close this page.</> : null}
        </small>
        <form method="post" action={stop} hx-post={stop} hx-target={`#${stepDomId(m.step.id)}`} hx-swap="outerHTML" class="inline-form">
          <Csrf token={m.csrf} />
          <button type="submit" class="secondary small">■ Stop</button>
        </form>
      </footer>
    </>
  );
}

const FAILURE: Partial<Record<StepStatus, string>> = {
  failed: 'This step failed',
  cancelled: 'This step was stopped',
  interrupted: 'This step was interrupted',
};

function FormBody({ m }: { m: CardModel }): Child {
  const action = urls.step(m.wfId, m.runKey, m.step.id);
  const multipart = Object.values(m.step.fields).some((w) => w.kind === 'file-upload');
  const failure = FAILURE[m.status];
  const fields = Object.entries(m.step.fields);
  const label = m.step.submitLabel ?? (failure ? 'Run again' : m.step.run ? 'Run' : 'Continue');
  return (
    <>
      <Markdown source={m.step.docs} />
      <StepSourceView step={m.step} />
      {failure && m.output !== null && m.output !== undefined ? <div class="step-output step-output-failed">{renderOutput(m)}</div> : null}
      {failure ? (
        <div class={m.status === 'cancelled' ? 'step-error step-stopped' : 'step-error'} role="alert">
          <strong>{failure}:</strong> {m.error ?? 'no reason was given'}.{' '}
          {m.status === 'cancelled' ? 'You can run it again.' : 'Check the values below and try again.'}
        </div>
      ) : null}
      <form
        method="post"
        action={action}
        hx-post={action}
        hx-target={`#${stepDomId(m.step.id)}`}
        hx-swap="outerHTML"
        hx-disabled-elt="find button[type=submit]"
        class="step-form"
        enctype={multipart ? 'multipart/form-data' : undefined}
        hx-encoding={multipart ? 'multipart/form-data' : undefined}
      >
        <Csrf token={m.csrf} />
        {m.errors[''] ? <p class="form-error" role="alert">{m.errors['']}</p> : null}
        {fields.length === 0 ? <p class="muted">This step needs no input.</p> : null}
        {fields.map(([name, w]) =>
          w.render({ name, id: `f-${m.step.id}-${name}`, value: m.values[name], error: m.errors[name], maxUploadBytes: m.maxUploadBytes, runs: m.runChoices?.[name] }),
        )}
        <button type="submit">{label}</button>
      </form>
    </>
  );
}

/** After the last step: finalize (lock) the run, or, once locked, unfinalize it. */
export function FinishCard(props: { wfId: string; runKey: string; finalized: string | null; csrf: string }): Child {
  const { wfId, runKey, finalized, csrf } = props;
  const action = finalized ? urls.unfinalize(wfId, runKey) : urls.finalize(wfId, runKey);
  return (
    <article id="run-finish" class={`run-finish ${finalized ? 'is-locked' : ''}`} aria-labelledby="run-finish-title">
      <header class="step-header">
        <h2 id="run-finish-title">{finalized ? 'Finalized' : 'Finish'}</h2>
      </header>
      {finalized ? (
        <p>
          This run was finalized on <time datetime={finalized}>{formatTime(finalized)}</time>. It is locked: its steps can no
          longer be changed or reverted. Unfinalize it to change it again.
        </p>
      ) : (
        <p>Every step is done. Finalize the run to lock it, so it can no longer be changed by accident.</p>
      )}
      <form method="post" action={action} hx-post={action} hx-target="#steps" hx-swap="outerHTML" class="inline-form">
        <Csrf token={csrf} />
        <button type="submit" class={finalized ? 'secondary outline' : ''}>{finalized ? 'Unfinalize' : 'Finalize'}</button>
      </form>
    </article>
  );
}
