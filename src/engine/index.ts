// The public API that workflow files use.
export { workflow, type StepContext, type RenderContext, type Progress, type Workflow, type OtherRun } from './workflow.ts';
export type { RunState, StepState, StepStatus } from './run-state.ts';
export type { ArtifactRef } from '../store/artifact-ref.ts';
