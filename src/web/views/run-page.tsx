import type { Child } from 'hono/jsx';
import type { RunState } from '../../engine/run-state.ts';
import type { Workflow } from '../../engine/workflow.ts';
import type { RunEvent } from '../../store/event-log.ts';
import { sentence } from './format.ts';
import { History } from './history.tsx';
import { RunBar, type RunLive } from './run-bar.tsx';
import { UndoRevertOffer } from './revert-confirm.tsx';
import type { UndoOffer } from '../../engine/revert.ts';
import { Layout, type Chrome } from './layout.tsx';
import { FinishCard, StepCard, type CardModel } from './step-card.tsx';
import { urls } from './urls.ts';

export interface RunView {
  wf: Workflow;
  state: RunState;
  /** Cards of every done step and the first open one (later steps are not shown yet). */
  cards: CardModel[];
  /** Every step is done: show the finalize (or unfinalize) card. */
  complete: boolean;
  csrf: string;
  /** A message about the last action on the run (a conflict, say). */
  notice?: string | undefined;
  /** The last change was a revert that can still be undone: what undo restores. */
  undo?: UndoOffer | undefined;
  live: RunLive;
}

/** The run's steps, "run all cells" style. Reverts and finalize re-render this whole container. */
export function Steps({ v }: { v: RunView }): Child {
  return (
    <div id="steps" class="steps">
      {v.notice ? <p class="notice" role="alert">{sentence(v.notice)}</p> : null}
      {v.undo ? <Undo v={v} undo={v.undo} /> : null}
      <CardsFragment v={v} />
    </div>
  );
}

export function RunPage(props: { chrome: Chrome; v: RunView; events: RunEvent[] }): Child {
  const { v } = props;
  // The chat is told about the step on screen: the first one not done (the last one when all are).
  const step = v.cards.find((m) => m.status !== 'done') ?? v.cards[v.cards.length - 1];
  return (
    <Layout
      chrome={props.chrome}
      title={`${v.state.key} · ${v.wf.title}`}
      chatPlace={{ workflowId: v.wf.id, runKey: v.state.key, stepId: step?.step.id }}
      aside={<History wf={v.wf} state={v.state} events={props.events} />}
    >
      <nav aria-label="Breadcrumb" class="breadcrumb">
        <ul>
          <li><a href={urls.home()}>Workflows</a></li>
          <li><a href={urls.workflow(v.wf.id)}>{v.wf.title}</a></li>
          <li><span aria-current="page">{v.state.key}</span></li>
        </ul>
      </nav>
      <h1 class="run-title">{v.wf.title}</h1>
      <RunBar wf={v.wf} state={v.state} csrf={v.csrf} live={v.live} />
      <Steps v={v} />
    </Layout>
  );
}

function Undo({ v, undo }: { v: RunView; undo: UndoOffer }): Child {
  const i = v.wf.steps.findIndex((s) => s.id === undo.stepId);
  const title = v.wf.steps[i]?.title ?? undo.stepId;
  return <UndoRevertOffer wfId={v.wf.id} runKey={v.state.key} offer={undo} number={i + 1} title={title} csrf={v.csrf} />;
}

/** Cards that replace one step's card (the step and, once it is done, what follows it). */
export function CardsFragment({ v }: { v: RunView }): Child {
  return (
    <>
      {v.cards.map((m) => <StepCard m={m} />)}
      {v.complete ? <FinishCard wfId={v.wf.id} runKey={v.state.key} finalized={v.state.finalized} csrf={v.csrf} /> : null}
    </>
  );
}
