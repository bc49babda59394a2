// One stream output's text as a notebook front end shows it: "\r" returns to the start of the
// line and what follows overwrites it (progress bars), "\b" deletes the character before it, and
// only the last `maxChars` characters are kept so a cell printing gigabytes costs bounded memory.
// The text is processed as it arrives; the line being written and the cursor in it carry over to
// the next message, so a "\r" in a later message overwrites what an earlier one wrote.

const CONTROL = /[\r\n\x08]/g;

export class StreamText {
  /** Complete lines, each ending in "\n". */
  private head = '';
  /** The line being written. */
  private line = '';
  /** Where the next character lands in `line` ("\r" moves it back to 0). */
  private cursor = 0;
  private dropped = 0;

  constructor(readonly maxChars: number) {
    if (!(maxChars >= 1)) throw new RangeError('maxChars must be at least 1');
  }

  append(s: string): void {
    let from = 0;
    for (const m of s.matchAll(CONTROL)) {
      this.write(s.slice(from, m.index));
      from = m.index + 1;
      const c = m[0];
      if (c === '\n') {
        // Ends the whole line, whatever the cursor: "\r\n" is a plain newline.
        this.head += this.line + '\n';
        this.line = '';
        this.cursor = 0;
      } else if (c === '\r') {
        this.cursor = 0;
      } else if (this.cursor > 0) {
        this.line = this.line.slice(0, this.cursor - 1) + this.line.slice(this.cursor);
        this.cursor--;
      }
    }
    this.write(s.slice(from));
    // Trimming on every small message would copy a megabyte each time: let it grow to twice the
    // cap first (text() still shows exactly the last maxChars).
    if (this.head.length + this.line.length > 2 * this.maxChars) this.trim();
  }

  /** Characters held now (at most twice maxChars). */
  get length(): number {
    return this.head.length + this.line.length;
  }

  /** Characters dropped from the front so far. */
  get droppedChars(): number {
    if (this.length > this.maxChars) this.trim();
    return this.dropped;
  }

  /** The text as shown, with a marker line first when the front was dropped. */
  get text(): string {
    if (this.length > this.maxChars) this.trim();
    const body = this.head + this.line;
    return this.dropped > 0 ? `${droppedMarker(this.dropped)}${body}` : body;
  }

  private write(chunk: string): void {
    if (chunk === '') return;
    if (this.cursor === this.line.length) this.line += chunk;
    else this.line = this.line.slice(0, this.cursor) + chunk + this.line.slice(this.cursor + chunk.length);
    this.cursor += chunk.length;
  }

  /** Keeps the last maxChars characters (never starting inside a surrogate pair). */
  private trim(): void {
    let cut = this.length - this.maxChars;
    if (cut <= 0) return;
    const all = this.head + this.line;
    const first = all.charCodeAt(cut);
    if (first >= 0xdc00 && first <= 0xdfff) cut++;
    this.dropped += cut;
    if (cut <= this.head.length) {
      this.head = this.head.slice(cut);
    } else {
      const inLine = cut - this.head.length;
      this.head = '';
      this.line = this.line.slice(inLine);
      this.cursor = Math.max(0, this.cursor - inLine);
    }
  }
}

/** The line put before a stream's text when its start was not kept. */
export function droppedMarker(n: number): string {
  return `… ${n} earlier characters not kept\n`;
}
