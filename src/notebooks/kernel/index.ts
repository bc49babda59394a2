// The kernel layer's public surface: discovery, the Kernel, its outputs and errors.
export { findKernelspec, findKernelspecs, jupyterDataDirs, type Kernelspec, type KernelspecListing } from './kernelspecs.ts';
export { Kernel, type ExecuteOptions, type ExecuteResult, type KernelOptions, type KernelState } from './kernel.ts';
export type { KernelOutput, MimeBundle } from './outputs.ts';
export { KernelDiedError, KernelError } from './errors.ts';
