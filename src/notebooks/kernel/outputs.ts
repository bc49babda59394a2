// The outputs an execution produces, as iopub messages carry them. Field names follow nbformat 4's
// output objects so they can be stored in a notebook as they are; display ids ride along because
// update_display_data needs them to find the output it replaces.
import type { JupyterMessage } from './wire.ts';

export type MimeBundle = Record<string, unknown>;

export type KernelOutput =
  | { output_type: 'stream'; name: 'stdout' | 'stderr'; text: string }
  | { output_type: 'execute_result'; data: MimeBundle; metadata: Record<string, unknown>; execution_count: number | null }
  | { output_type: 'display_data'; data: MimeBundle; metadata: Record<string, unknown>; display_id?: string | undefined }
  | { output_type: 'update_display_data'; data: MimeBundle; metadata: Record<string, unknown>; display_id: string }
  | { output_type: 'clear_output'; wait: boolean }
  | { output_type: 'error'; ename: string; evalue: string; traceback: string[] };

/** The output an iopub message carries, or undefined for messages that are not outputs. */
export function outputFromMessage(msg: JupyterMessage): KernelOutput | undefined {
  const c = msg.content;
  const data = (c.data ?? {}) as MimeBundle;
  const metadata = (c.metadata ?? {}) as Record<string, unknown>;
  const displayId = (c.transient as { display_id?: unknown } | undefined)?.display_id;
  switch (msg.header.msg_type) {
    case 'stream':
      return { output_type: 'stream', name: c.name === 'stderr' ? 'stderr' : 'stdout', text: String(c.text ?? '') };
    case 'execute_result':
      return {
        output_type: 'execute_result',
        data,
        metadata,
        execution_count: typeof c.execution_count === 'number' ? c.execution_count : null,
      };
    case 'display_data':
      return { output_type: 'display_data', data, metadata, display_id: typeof displayId === 'string' ? displayId : undefined };
    case 'update_display_data':
      // Without a display id there is nothing to update: the protocol requires one.
      return typeof displayId === 'string' ? { output_type: 'update_display_data', data, metadata, display_id: displayId } : undefined;
    case 'clear_output':
      return { output_type: 'clear_output', wait: c.wait === true };
    case 'error':
      return {
        output_type: 'error',
        ename: String(c.ename ?? 'Error'),
        evalue: String(c.evalue ?? ''),
        traceback: Array.isArray(c.traceback) ? c.traceback.map(String) : [],
      };
    default:
      return undefined;
  }
}
