// Terminal colours (ANSI SGR sequences, as in IPython tracebacks and coloured logs) to HTML. The
// app's Content-Security-Policy forbids style attributes, so colours become classes
// (outputs.css): the 16 named colours, with 256-colour and truecolour values mapped to the
// nearest of them. Every other escape sequence (cursor moves, OSC hyperlinks, titles) is dropped.

// CSI (ESC [ or the one-byte 0x9B) with parameters, intermediates and a final byte; OSC
// (ESC ]) up to BEL or ST, or to the end if unterminated; DCS/SOS/PM/APC strings; any other
// two-byte or nF escape; a lone ESC.
const ESCAPE = /(?:\x1b\[|\x9b)([0-?]*)[ -/]*([@-~])|\x1b[\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[ -/]*[0-~]|\x1b/g;
// C0 controls other than tab, newline and carriage return: invisible at best.
const CONTROLS = /[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f]/g;

const NAMES = ['black', 'red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'white'] as const;

/** xterm's 16 colours, used only to find the nearest class for a 256-colour or RGB value. */
const PALETTE: readonly (readonly [number, number, number])[] = [
  [0, 0, 0], [205, 0, 0], [0, 205, 0], [205, 205, 0], [0, 0, 238], [205, 0, 205], [0, 205, 205], [229, 229, 229],
  [127, 127, 127], [255, 0, 0], [0, 255, 0], [255, 255, 0], [92, 92, 255], [255, 0, 255], [0, 255, 255], [255, 255, 255],
];
const CUBE = [0, 95, 135, 175, 215, 255];

/** Class stem for colour 0–15: "red", "bright-red". */
function colourName(i: number): string {
  return i < 8 ? NAMES[i]! : `bright-${NAMES[i - 8]!}`;
}

function nearest(r: number, g: number, b: number): number {
  let best = 0;
  let bestD = Infinity;
  PALETTE.forEach(([pr, pg, pb], i) => {
    const d = (r - pr) ** 2 + (g - pg) ** 2 + (b - pb) ** 2;
    if (d < bestD) [best, bestD] = [i, d];
  });
  return best;
}

/** A 256-colour index to one of the 16. */
function from256(n: number): number {
  if (n < 16) return n;
  if (n < 232) {
    const c = n - 16;
    return nearest(CUBE[Math.floor(c / 36)]!, CUBE[Math.floor(c / 6) % 6]!, CUBE[c % 6]!);
  }
  const grey = 8 + 10 * (n - 232);
  return nearest(grey, grey, grey);
}

interface Style {
  fg?: number | undefined;
  bg?: number | undefined;
  bold?: boolean;
  faint?: boolean;
  italic?: boolean;
  underline?: boolean;
  inverse?: boolean;
}

const byte = (s: string | undefined): number => Math.min(255, Math.max(0, Number.parseInt(s ?? '', 10) || 0));

/**
 * An extended colour (38/48) from its parameters, which follow either as further `;` parameters
 * ("38;5;n", "38;2;r;g;b") or as `:` sub-parameters of the same one ("38:5:n", "38:2::r:g:b").
 * Returns the colour (if understood) and how many further `;` parameters it used.
 */
function extended(sub: string[], rest: string[]): { colour: number | undefined; used: number } {
  const inline = sub.length > 0;
  const args = inline ? sub : rest;
  const mode = args[0];
  if (mode === '5') return { colour: args[1] === undefined ? undefined : from256(byte(args[1])), used: inline ? 0 : 2 };
  if (mode === '2') {
    // The colon form may carry a colour-space id first: 38:2:<id>:r:g:b.
    const rgb = inline && args.length >= 5 ? args.slice(2, 5) : args.slice(1, 4);
    return { colour: rgb.length === 3 ? nearest(byte(rgb[0]), byte(rgb[1]), byte(rgb[2])) : undefined, used: inline ? 0 : 4 };
  }
  return { colour: undefined, used: inline ? 0 : rest.length };
}

function applySgr(style: Style, params: string): Style {
  const s = { ...style };
  const list = params === '' ? ['0'] : params.split(';');
  for (let i = 0; i < list.length; i++) {
    const [head = '', ...sub] = list[i]!.split(':');
    const n = head === '' ? 0 : Number.parseInt(head, 10);
    if (n === 0) {
      for (const k of Object.keys(s) as (keyof Style)[]) delete s[k];
    } else if (n === 1) s.bold = true;
    else if (n === 2) s.faint = true;
    else if (n === 3) s.italic = true;
    else if (n === 4) s.underline = true;
    else if (n === 7) s.inverse = true;
    else if (n === 21 || n === 22) s.bold = s.faint = false;
    else if (n === 23) s.italic = false;
    else if (n === 24) s.underline = false;
    else if (n === 27) s.inverse = false;
    else if (n >= 30 && n <= 37) s.fg = n - 30;
    else if (n === 39) s.fg = undefined;
    else if (n >= 40 && n <= 47) s.bg = n - 40;
    else if (n === 49) s.bg = undefined;
    else if (n >= 90 && n <= 97) s.fg = n - 90 + 8;
    else if (n >= 100 && n <= 107) s.bg = n - 100 + 8;
    else if (n === 38 || n === 48) {
      const { colour, used } = extended(sub, list.slice(i + 1));
      i += used;
      if (colour !== undefined) {
        if (n === 38) s.fg = colour;
        else s.bg = colour;
      }
    }
    // Anything else (blink, conceal, fonts…) is ignored.
  }
  return s;
}

function classesOf(s: Style): string {
  const out: string[] = [];
  let fg = s.fg === undefined ? undefined : `ansi-${colourName(s.fg)}-fg`;
  let bg = s.bg === undefined ? undefined : `ansi-${colourName(s.bg)}-bg`;
  if (s.inverse) {
    // Swapped colours; a side left at the default takes the theme's text/background colour.
    [fg, bg] = [
      s.bg === undefined ? 'ansi-default-inverse-fg' : `ansi-${colourName(s.bg)}-fg`,
      s.fg === undefined ? 'ansi-default-inverse-bg' : `ansi-${colourName(s.fg)}-bg`,
    ];
  }
  if (fg) out.push(fg);
  if (bg) out.push(bg);
  if (s.bold) out.push('ansi-bold');
  if (s.faint) out.push('ansi-faint');
  if (s.italic) out.push('ansi-italic');
  if (s.underline) out.push('ansi-underline');
  return out.join(' ');
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESC[c] ?? c);
}

function span(text: string, style: Style): string {
  const t = escapeHtml(text.replace(CONTROLS, ''));
  if (t === '') return '';
  const cls = classesOf(style);
  return cls ? `<span class="${cls}">${t}</span>` : t;
}

/** Text with ANSI colours as safe HTML (escaped text and `<span class="ansi-…">` only). */
export function ansiToHtml(text: string): string {
  let html = '';
  let style: Style = {};
  let from = 0;
  for (const m of text.matchAll(ESCAPE)) {
    html += span(text.slice(from, m.index), style);
    from = m.index + m[0].length;
    // Only SGR ("…m") changes how text looks; every other sequence is dropped.
    if (m[2] === 'm' && m[1] !== undefined && /^[0-9;:]*$/.test(m[1])) style = applySgr(style, m[1]);
  }
  return html + span(text.slice(from), style);
}

/** Text without any escape sequences (for a one-line summary, a title, a search). */
export function stripAnsi(text: string): string {
  return text.replace(ESCAPE, '');
}
