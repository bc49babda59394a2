import type { Child } from 'hono/jsx';
import type { ChatReadiness } from '../../ai/chat/chat-types.ts';

// The header's model indicator. The page carries only an empty slot that htmx fills after load
// (GET /settings/health), so no page ever waits for a provider to answer a probe.

const HEALTH_URL = '/settings/health';

export function HealthSlot(): Child {
  return <span id="health-badge" class="health-slot" hx-get={HEALTH_URL} hx-trigger="load" hx-swap="outerHTML"></span>;
}

/** Green "model ready" or grey "no model"; the detail (provider, model, or why not) in the tooltip. */
export function HealthBadge({ r }: { r: ChatReadiness | undefined }): Child {
  const state = r === undefined ? 'unknown' : r.ready ? 'ready' : 'none';
  const word = state === 'ready' ? 'model ready' : state === 'none' ? 'no model' : 'model: unknown';
  const detail = r === undefined ? 'The model did not answer in time.' : r.detail;
  return (
    <a id="health-badge" href="/settings" class={`health-badge health-${state}`} title={detail} data-ready={state}>
      <span class="health-dot" aria-hidden="true"></span>
      {word}
      <span class="visually-hidden">: {detail}</span>
    </a>
  );
}
