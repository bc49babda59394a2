import type { Child } from 'hono/jsx';

/** Only web links open in a new tab; anything else (javascript:, file:, data:) is shown as text. */
function webUrl(href: string): string | undefined {
  try {
    const u = new URL(href.trim());
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A link to another site, opening in a new tab. The visible "(opens in a new tab)" is part of
 * the link's text, so a screen reader announces it as well: a new tab should never surprise.
 */
export function linkOut(href: string, text?: string): Child {
  const url = webUrl(href);
  if (!url) {
    return <span class="link-out link-out-invalid">{text && text !== href ? `${text} (${href})` : href}</span>;
  }
  return (
    <a class="link-out" href={url} target="_blank" rel="noopener noreferrer">
      {text ?? href}
      <small class="link-out-hint"> (opens in a new tab)</small>
    </a>
  );
}
