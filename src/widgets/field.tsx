import type { Child } from 'hono/jsx';

// The parts every input widget shares, so that labels, help and error messages look and behave
// the same everywhere (and screen readers hear them the same way).

export interface Described {
  id: string;
  help?: string | undefined;
  error?: string | undefined;
}

/** `aria-describedby` value: the error (when there is one) first, then the help. */
export function describedBy({ id, help, error }: Described): string | undefined {
  const ids = [error ? `${id}-error` : '', help ? `${id}-help` : ''].filter(Boolean);
  return ids.length ? ids.join(' ') : undefined;
}

/** Attributes for a control: invalid state and what describes it. */
export function ariaFor(d: Described): { 'aria-invalid'?: 'true'; 'aria-describedby'?: string } {
  const by = describedBy(d);
  return { ...(d.error ? { 'aria-invalid': 'true' as const } : {}), ...(by ? { 'aria-describedby': by } : {}) };
}

/**
 * Error then help, right after the control: Pico colours a `<small>` that directly follows an
 * invalid input, so the error must come first.
 */
export function FieldMessages({ id, help, error }: Described): Child {
  return (
    <>
      {error ? <small id={`${id}-error`} class="field-error">{error}</small> : null}
      {help ? <small id={`${id}-help`} class="field-help">{help}</small> : null}
    </>
  );
}

/** A single control with its `<label for>` above it. */
export function LabelledField(props: Described & { kind: string; label: string; labelExtra?: Child; after?: Child; children?: Child }): Child {
  return (
    <div class="field" data-widget={props.kind}>
      <label for={props.id}>
        {props.label}
        {props.labelExtra}
      </label>
      {props.children}
      <FieldMessages id={props.id} help={props.help} error={props.error} />
      {props.after}
    </div>
  );
}

/**
 * A group of controls (checkboxes, radios) under a `<legend>`. `aria-describedby` sits on the
 * fieldset so the group's error and help are announced once, on entering it.
 */
export function GroupField(props: Described & { kind: string; label: string; children?: Child }): Child {
  const by = describedBy(props);
  return (
    <fieldset class="field" data-widget={props.kind} id={props.id} aria-describedby={by}>
      <legend>{props.label}</legend>
      {props.children}
      <FieldMessages id={props.id} help={props.help} error={props.error} />
    </fieldset>
  );
}

/** Stable, DOM-safe id for the i-th control of a group. */
export function itemId(groupId: string, i: number): string {
  return `${groupId}-${i}`;
}
