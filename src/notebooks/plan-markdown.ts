// The little markdown reading the cells → steps plan needs: where the headings of a markdown
// cell are. ATX headings only (`# Title`, up to six `#`), as Jupyter's own table of contents
// counts them; lines inside ``` or ~~~ fences are code, not headings.

export interface Heading {
  /** 0-based line in the cell. */
  line: number;
  level: number;
  text: string;
}

const ATX = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;

export function headings(markdown: string): Heading[] {
  const out: Heading[] = [];
  let fence: string | undefined;
  markdown.split('\n').forEach((text, line) => {
    const f = FENCE.exec(text)?.[1];
    if (f !== undefined) {
      if (fence === undefined) fence = f;
      else if (f[0] === fence[0] && f.length >= fence.length) fence = undefined;
      return;
    }
    if (fence !== undefined) return;
    const m = ATX.exec(text);
    const title = m?.[2]?.trim();
    if (m && title) out.push({ line, level: m[1]!.length, text: title });
  });
  return out;
}

/**
 * Splits a markdown cell at its first heading: the heading's text, the text under it up to the
 * next heading (the description), and what is left (text before the heading, and the next heading
 * on), which stays the first step's docs. Undefined when the cell has no heading.
 */
export function splitTitle(markdown: string): { title: string; description: string; rest: string } | undefined {
  const hs = headings(markdown);
  const first = hs[0];
  if (!first) return undefined;
  const lines = markdown.split('\n');
  const end = hs[1]?.line ?? lines.length;
  const description = lines.slice(first.line + 1, end).join('\n').trim();
  const rest = [lines.slice(0, first.line).join('\n').trim(), lines.slice(end).join('\n').trim()].filter(Boolean).join('\n\n');
  return { title: first.text, description, rest };
}
