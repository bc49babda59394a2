/**
 * Splits a document into chunks of about `maxTokens` tokens (a token is taken as ~4 characters,
 * near enough for English prose and cheap), along paragraphs, then sentences, then whitespace,
 * each chunk starting with the last ~`overlapTokens` of the previous one so a fact cut at a
 * boundary is whole in one of them. A chunk is a span of the original text: `text` is exactly
 * `source.slice(start, end)`, so a citation can point into the stored document.
 */

export interface ChunkOptions {
  /** Target size of a chunk (default 200 tokens ≈ 800 characters). */
  maxTokens?: number | undefined;
  /** How much of the previous chunk a chunk repeats (default 30 tokens). */
  overlapTokens?: number | undefined;
}

export interface Chunk {
  seq: number;
  start: number;
  end: number;
  text: string;
}

export const CHARS_PER_TOKEN = 4;
export const DEFAULT_MAX_TOKENS = 200;
export const DEFAULT_OVERLAP_TOKENS = 30;

interface Span {
  start: number;
  end: number;
}

export function chunkText(text: string, opts: ChunkOptions = {}): Chunk[] {
  const maxTokens = opts.maxTokens ?? DEFAULT_MAX_TOKENS;
  const overlapTokens = opts.overlapTokens ?? DEFAULT_OVERLAP_TOKENS;
  if (!Number.isInteger(maxTokens) || maxTokens < 1) throw new Error(`maxTokens must be a positive integer, not ${maxTokens}`);
  if (!Number.isInteger(overlapTokens) || overlapTokens < 0 || overlapTokens >= maxTokens) {
    throw new Error(`overlapTokens must be an integer from 0 to maxTokens - 1, not ${overlapTokens}`);
  }
  const maxChars = maxTokens * CHARS_PER_TOKEN;
  const overlapChars = overlapTokens * CHARS_PER_TOKEN;
  const pieces = segments(text, maxChars);
  const chunks: Chunk[] = [];
  let i = 0;
  while (i < pieces.length) {
    const first = pieces[i]!;
    let j = i;
    while (j + 1 < pieces.length && pieces[j + 1]!.end - first.start <= maxChars) j++;
    const end = pieces[j]!.end;
    chunks.push({ seq: chunks.length, start: first.start, end, text: text.slice(first.start, end) });
    if (j + 1 >= pieces.length) break;
    // The next chunk starts at the earliest piece of this one that fits in the overlap, and
    // always moves forward.
    let next = j + 1;
    for (let s = i + 1; s <= j; s++) {
      if (end - pieces[s]!.start <= overlapChars) {
        next = s;
        break;
      }
    }
    i = next;
  }
  return chunks;
}

/** The text cut into pieces of at most `maxChars`, trimmed of surrounding whitespace, in order. */
function segments(text: string, maxChars: number): Span[] {
  const out: Span[] = [];
  for (const para of matches(text, /\S[\s\S]*?(?=\n[ \t]*\n|\s*$)/g, 0)) {
    if (para.end - para.start <= maxChars) {
      out.push(para);
      continue;
    }
    const body = text.slice(para.start, para.end);
    // Sentences: up to and including end punctuation (and closing quotes), or to the end.
    for (const s of matches(body, /\S[^.!?]*(?:[.!?]+["')\]]*|$)/g, para.start)) {
      if (s.end - s.start <= maxChars) out.push(s);
      else out.push(...windows(text, s, maxChars));
    }
  }
  return out;
}

function matches(text: string, re: RegExp, offset: number): Span[] {
  const spans: Span[] = [];
  for (const m of text.matchAll(re)) {
    const start = offset + m.index;
    const end = start + m[0].trimEnd().length;
    if (end > start) spans.push({ start, end });
  }
  return spans;
}

/** A run-on span cut at whitespace (or anywhere, when a word is longer than a chunk). */
function windows(text: string, span: Span, maxChars: number): Span[] {
  const out: Span[] = [];
  let start = span.start;
  while (start < span.end) {
    let end = Math.min(span.end, start + maxChars);
    if (end < span.end) {
      const cut = text.lastIndexOf(' ', end);
      if (cut > start) end = cut;
    }
    out.push({ start, end });
    start = end;
    while (start < span.end && /\s/.test(text[start]!)) start++;
  }
  return out;
}
