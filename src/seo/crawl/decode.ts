/**
 * Bytes → text for HTML: the charset from a BOM, the Content-Type header, or a <meta charset> /
 * http-equiv in the first bytes (the HTML spec's prescan, simplified); unknown labels fall back to
 * UTF-8, and bytes that are not valid in the charset become U+FFFD — never an exception.
 */

const PRESCAN_BYTES = 4096;

export function charsetFromContentType(contentType: string | undefined): string | undefined {
  const m = contentType ? /charset\s*=\s*["']?([^"';\s]+)/i.exec(contentType) : null;
  return m?.[1]?.toLowerCase();
}

export function charsetFromMeta(head: Buffer): string | undefined {
  // latin1 keeps every byte as one char: ASCII markup is found whatever the real charset is.
  const text = head.subarray(0, PRESCAN_BYTES).toString('latin1');
  const direct = /<meta[^>]+charset\s*=\s*["']?\s*([a-z0-9_:.-]+)/i.exec(text);
  return direct?.[1]?.toLowerCase();
}

function bomCharset(body: Buffer): string | undefined {
  if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) return 'utf-8';
  if (body[0] === 0xfe && body[1] === 0xff) return 'utf-16be';
  if (body[0] === 0xff && body[1] === 0xfe) return 'utf-16le';
  return undefined;
}

function decoderFor(label: string | undefined): TextDecoder | undefined {
  if (!label) return undefined;
  try {
    return new TextDecoder(label, { fatal: false });
  } catch {
    return undefined;
  }
}

export interface Decoded {
  text: string;
  /** The charset used (after fallbacks). */
  charset: string;
}

export function decodeHtml(body: Buffer, contentType: string | undefined): Decoded {
  const candidates = [bomCharset(body), charsetFromContentType(contentType), charsetFromMeta(body)];
  for (const label of candidates) {
    const dec = decoderFor(label);
    // A page declaring UTF-16 in a meta tag is ASCII-compatible and lying: the spec says UTF-8 then.
    if (dec && !(label === candidates[2] && dec.encoding.startsWith('utf-16'))) {
      return { text: dec.decode(body), charset: dec.encoding };
    }
  }
  return { text: new TextDecoder('utf-8', { fatal: false }).decode(body), charset: 'utf-8' };
}

/** HTML or XHTML by its Content-Type (a missing type is sniffed from the first bytes). */
export function isHtml(contentType: string | undefined, body: Buffer): boolean {
  if (contentType) return /^\s*(text\/html|application\/xhtml\+xml)/i.test(contentType);
  const head = body.subarray(0, 512).toString('latin1').trimStart().toLowerCase();
  return head.startsWith('<!doctype html') || head.startsWith('<html');
}
