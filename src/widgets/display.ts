import type { InputWidget } from './widget.ts';

/**
 * A field's stored value as a person reads it: the widget's own wording where it has one (a
 * choice's label), else the value unchanged for the generic views to show.
 */
export function displayValue(widget: InputWidget<any> | undefined, value: unknown): unknown {
  if (!widget?.display || value === null || value === undefined) return value;
  try {
    return widget.display(value);
  } catch {
    // A value stored by an older version of the workflow may not fit today's widget.
    return value;
  }
}
