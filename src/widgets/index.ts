// The widget library: input widgets (render, read back, validate themselves) and output views
// (plain functions returning JSX) for workflow files to use.

export type { FieldRenderProps, Fields, FormBody, InputOf, InputWidget, PrepareContext, RunChoice } from './widget.ts';

// Inputs
export { text, type TextOptions } from './text.tsx';
export { textarea, type TextareaOptions } from './textarea.tsx';
export { dropdown, type DropdownOptions } from './dropdown.tsx';
export { checkboxes, type CheckboxesOptions } from './checkboxes.tsx';
export { radios, type RadiosOptions } from './radios.tsx';
export { range, type RangeOptions } from './range.tsx';
export { number, type NumberOptions } from './number.tsx';
export { list, type ListOptions, type ListItemType } from './list.tsx';
export { toggle, type ToggleOptions } from './switch.tsx';
export { fileUpload, acceptsFile, type FileUploadOptions } from './file-upload.tsx';
export { runPicker, RUN_PICKER_MAX_SHOWN, type RunPickerOptions } from './run-picker.tsx';
export { fileList, isPlainFileName, type FileListOptions, type FileListWidget, type ListedFile } from './file-list.tsx';
export type { Option, OptionInput } from './options.ts';

// Outputs
export { markdownView, markdownToSafeHtml, isSafeUrl, escapeHtml } from './markdown.tsx';
export { tableView, type TableOptions } from './table.tsx';
export { barChart, statusCodeTone, formatBarValue, type BarChartOptions, type BarDatum, type BarTone } from './bar-chart.tsx';
export { codeView, highlightCode, type HighlightResult } from './code.tsx';
export { linkOut } from './link-out.tsx';
export { keyValues, type KeyValuesOptions } from './key-values.tsx';
export { formatBytes, describeArtifact } from './format.ts';
export { modelComment, type ModelComment } from './model-comment.tsx';
