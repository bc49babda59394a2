// Script extensions a percent notebook may have: each one's line comment (which prefixes the
// `%%` markers, the header and markdown text) and language, as jupytext's table
// (`jupytext/languages.py`) has them. Languages with only block comments there (OCaml, Maxima,
// SAS, Wolfram) are left out: their markers carry a comment suffix we do not read. `.mjs`,
// `.cjs`, `.mts` and `.cts` are ours: Node's module variants of `.js` / `.ts`.
// Also the magic-command rules jupytext uses to comment (percent) or not (hydrogen) magics.

export interface ScriptLanguage {
  comment: string;
  /** Lower-case language, as KernelInfo has it. */
  language: string;
  /** The kernelspec most installs of that language's kernel use, when one name is usual. */
  kernel?: string;
}

const SCRIPT_LANGUAGES: Record<string, ScriptLanguage> = {
  '.py': { comment: '#', language: 'python', kernel: 'python3' },
  '.r': { comment: '#', language: 'r', kernel: 'ir' },
  // Julia's kernelspecs are named per version (julia-1.10): no usual name.
  '.jl': { comment: '#', language: 'julia' },
  '.sh': { comment: '#', language: 'bash', kernel: 'bash' },
  '.ps1': { comment: '#', language: 'powershell' },
  '.sage': { comment: '#', language: 'sage' },
  '.xsh': { comment: '#', language: 'xonsh' },
  '.tcl': { comment: '#', language: 'tcl' },
  '.gp': { comment: '#', language: 'gnuplot' },
  '.robot': { comment: '#', language: 'robotframework' },
  '.coco': { comment: '#', language: 'coconut' },
  // TypeScript and JavaScript run in Node without an external kernel (issue 6 §5): no kernelspec.
  '.ts': { comment: '//', language: 'typescript' },
  '.mts': { comment: '//', language: 'typescript' },
  '.cts': { comment: '//', language: 'typescript' },
  '.js': { comment: '//', language: 'javascript' },
  '.mjs': { comment: '//', language: 'javascript' },
  '.cjs': { comment: '//', language: 'javascript' },
  '.cpp': { comment: '//', language: 'c++' },
  '.scala': { comment: '//', language: 'scala' },
  '.rs': { comment: '//', language: 'rust' },
  '.cs': { comment: '//', language: 'csharp' },
  '.fs': { comment: '//', language: 'fsharp' },
  '.fsx': { comment: '//', language: 'fsharp' },
  '.java': { comment: '//', language: 'java' },
  '.groovy': { comment: '//', language: 'groovy' },
  '.go': { comment: '//', language: 'go' },
  '.do': { comment: '//', language: 'stata' },
  '.hs': { comment: '--', language: 'haskell' },
  '.lua': { comment: '--', language: 'lua' },
  '.m': { comment: '%', language: 'matlab' },
  '.clj': { comment: ';;', language: 'clojure' },
  '.scm': { comment: ';;', language: 'scheme' },
  '.ss': { comment: ';;', language: 'scheme' },
  '.pro': { comment: ';', language: 'idl' },
  '.q': { comment: '/', language: 'q' },
};

/** The extensions percent scripts may have, for messages and for finding notebooks in a folder. */
export const PERCENT_EXTENSIONS: readonly string[] = Object.keys(SCRIPT_LANGUAGES);

/** The script language of a file extension (with its dot, any case), if known. */
export function scriptLanguage(extension: string): ScriptLanguage | undefined {
  return SCRIPT_LANGUAGES[extension.toLowerCase()];
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

/** Magic commands: what jupytext's percent writer comments out and its reader uncomments. */
export class MagicRules {
  private readonly magic: RegExp | undefined;
  private readonly python: boolean;

  constructor(
    private readonly comment: string,
    language: string,
  ) {
    const c = escapeRe(comment);
    this.python = language === 'python';
    // Kernels of these languages have no `%` magics (or `%` is their comment): nothing to escape.
    if (language === 'matlab' || language === 'octave' || language === 'sas') this.magic = undefined;
    else if (language === 'rust') this.magic = new RegExp(`^(${c} |${c})*:[a-zA-Z]`);
    else if (language === 'csharp') this.magic = new RegExp(`^(${c} |${c})*#![a-zA-Z]`);
    else if (language === 'go') this.magic = new RegExp(`^(${c} |${c})*(!|!\\*|%|%%|%%%)[a-zA-Z]`);
    else this.magic = new RegExp(`^\\s*(${c} |${c})*(%|%%|%%%)[a-zA-Z]`);
  }

  /** Is the line a magic, commented or not (the percent format comments them once)? */
  isMagic(line: string): boolean {
    if (!this.magic) return false;
    if (this.magic.test(line)) return true;
    if (!this.python) return false;
    // IPython's other escapes: `!shell`, `?help`, `x = %magic`, `obj?`, and shell commands it
    // runs without a `!` (automagic) — jupytext treats all as magics in code cells.
    return (
      /^\s*(# |#)*\s*(\?|!)\s*[A-Za-z.~$\\/{}]/.test(line) ||
      /^(# |#)*\s*([a-zA-Z_][a-zA-Z_$0-9]*)\s*=\s*(%|%%|%%%|!)[a-zA-Z](.*)/.test(line) ||
      /^\s*(# )*[^\s]*\?\s*$/.test(line) ||
      /^(# |#)*(cat|cd|cp|mv|rm|rmdir|mkdir|copy|ddir|echo|ls|ldir|ren)($|\s$|\s[^=,])/.test(line)
    );
  }

  /** Is the line an uncommented magic (the hydrogen format's mark)? */
  isBareMagic(line: string): boolean {
    return !line.trimStart().startsWith(this.comment) && this.isMagic(line);
  }

  /** Removes one level of comment from a magic line, keeping its indentation. */
  uncomment(line: string): string {
    const body = line.trimStart();
    const indent = line.slice(0, line.length - body.length);
    if (body.startsWith(this.comment + ' ')) return indent + body.slice(this.comment.length + 1);
    if (body.startsWith(this.comment)) return indent + body.slice(this.comment.length);
    return line;
  }

  /** A Python line ending in `\` continues its magic on the next line. */
  continues(line: string): boolean {
    return this.python && /\\\s*$/.test(line);
  }
}

/**
 * Tracks whether a line starts inside a multi-line string, so a `# %%` or a magic-looking line
 * inside a docstring is left alone, as jupytext's StringParser does. Triple quotes for every
 * language but R (where a plain quote may span lines); text after the line comment is ignored.
 */
export class StringTracker {
  private open: string | undefined;

  constructor(
    private readonly comment: string,
    private readonly language: string,
  ) {}

  isQuoted(): boolean {
    return this.open !== undefined;
  }

  read(line: string): void {
    const multiLineQuotes = this.language === 'r' ? ['"', "'"] : ['"""', "'''"];
    let i = 0;
    while (i < line.length) {
      if (this.open) {
        if (line[i] === '\\') {
          i += 2;
          continue;
        }
        if (line.startsWith(this.open, i)) {
          i += this.open.length;
          this.open = undefined;
          continue;
        }
        i++;
        continue;
      }
      if (line.startsWith(this.comment, i)) return;
      const triple = multiLineQuotes.find((q) => line.startsWith(q, i));
      if (triple) {
        this.open = triple;
        i += triple.length;
        continue;
      }
      const c = line[i]!;
      if (c === '"' || c === "'") {
        // A one-line string: skip it (an unclosed one ends with the line).
        let j = i + 1;
        while (j < line.length && line[j] !== c) j += line[j] === '\\' ? 2 : 1;
        i = j + 1;
        continue;
      }
      i++;
    }
  }
}
