import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { InputWidget } from './widget.ts';
import { GroupField, itemId } from './field.tsx';
import { formStrings } from './form-values.ts';
import { formatBytes } from './format.ts';
import { plural } from './options.ts';
import { excerpt } from './excerpt.ts';

export interface FileListOptions {
  label: string;
  help?: string;
  initial?: string[];
  /**
   * The folder to choose from: absolute, or relative to the working directory of the railbook
   * process. (Rendering gets no data folder, so "relative to the data folder" cannot be honoured
   * consistently; join it yourself if that is what you mean.)
   */
  folder: string;
  /** Only file names matching this are listed and accepted. */
  pattern?: RegExp;
  /** Several files (checkboxes, the default) or one (radio buttons). The value is a list either way. */
  multiple?: boolean;
  /** Fewest files to choose (default 1). */
  min?: number;
}

export interface FileListWidget extends InputWidget<string[]> {
  /** Absolute path of the folder, resolved when asked (not at import time). */
  readonly folder: string;
  /** Absolute path of a chosen file: the value holds only plain names. */
  pathOf(name: string): string;
  /** The files on offer now, or why there are none to list. */
  listFiles(): { files: ListedFile[]; problem?: string };
}

export interface ListedFile {
  name: string;
  size: number;
}

/** Most files shown at once: a folder of 50 000 files must not produce a 10 MB form. */
export const FILE_LIST_MAX_SHOWN = 1000;

/** A bare file name: no folder part, so it can never reach outside the folder. */
export function isPlainFileName(n: string): boolean {
  return n !== '' && n !== '.' && n !== '..' && !/[/\\\0]/.test(n);
}

function isFileAt(p: string): ListedFile | undefined {
  try {
    const st = statSync(p); // follows symlinks: a link to a file is offered as that file
    return st.isFile() ? { name: path.basename(p), size: st.size } : undefined;
  } catch {
    return undefined;
  }
}

/** Choosing files from a folder on this machine. The value is the chosen file names. */
export function fileList(o: FileListOptions): FileListWidget {
  const multiple = o.multiple ?? true;
  const min = o.min ?? 1;
  const max = multiple ? Infinity : 1;
  const re = o.pattern ? new RegExp(o.pattern.source, o.pattern.flags.replace(/[gy]/g, '')) : undefined;
  const folder = () => path.resolve(o.folder);
  const noun = multiple ? 'files' : 'one file';

  function listFiles(): { files: ListedFile[]; problem?: string } {
    let names: string[];
    try {
      names = readdirSync(folder());
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'does not exist' : code === 'ENOTDIR' ? 'is not a folder' : `cannot be read (${code ?? String(e)})`;
      return { files: [], problem: `The folder ${folder()} ${why}.` };
    }
    // Hidden files (.DS_Store, .git…) are almost never what a person means to pick.
    const files = names
      .filter((n) => !n.startsWith('.') && (!re || re.test(n)))
      .map((n) => isFileAt(path.join(folder(), n)))
      .filter((f): f is ListedFile => f !== undefined)
      .sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
    if (files.length === 0) return { files, problem: `No files${re ? ` matching ${re}` : ''} in ${folder()}.` };
    return { files };
  }

  const name = z.string({ error: 'Give file names as text' }).refine(isPlainFileName, {
    error: (iss) => `"${excerpt(String(iss.input))}" is not a plain file name (no folders, "/" or "..")`,
  });
  const schema = z
    .array(name, { error: 'Choose files from the list' })
    .min(min, { error: min === 1 ? `Choose ${multiple ? 'at least one file' : 'a file'}` : `Choose at least ${plural(min, 'file')}` })
    .max(max, { error: 'Choose only one file' })
    .superRefine((names, ctx) => {
      if (new Set(names).size !== names.length) ctx.addIssue({ code: 'custom', message: 'Choose each file only once' });
      for (const n of names) {
        if (typeof n !== 'string' || !isPlainFileName(n)) continue; // reported by the item check
        if (re && !re.test(n)) ctx.addIssue({ code: 'custom', message: `"${n}" does not match ${re}` });
        else if (!isFileAt(path.join(folder(), n))) ctx.addIssue({ code: 'custom', message: `"${n}" is not a file in ${folder()}` });
      }
    });

  return {
    kind: 'file-list',
    label: o.label,
    help: o.help,
    initial: o.initial,
    schema,
    get folder() {
      return folder();
    },
    pathOf: (n) => {
      if (!isPlainFileName(n)) throw new Error(`"${n}" is not a plain file name`);
      return path.join(folder(), n);
    },
    listFiles,
    fromForm: (body, field) => [...new Set(formStrings(body, field))],
    render(p) {
      const chosen = new Set<string>(Array.isArray(p.value) ? p.value.filter((v) => typeof v === 'string') : (o.initial ?? []));
      const { files, problem } = listFiles();
      const shown = files.slice(0, FILE_LIST_MAX_SHOWN);
      return (
        <GroupField kind="file-list" id={p.id} label={o.label} help={o.help} error={p.error}>
          <p class="file-list-folder"><small>Choose {noun} from {folder()}</small></p>
          {problem ? <p class="file-list-empty">{problem}</p> : null}
          {shown.map((f, i) => (
            <label for={itemId(p.id, i)}>
              <input
                type={multiple ? 'checkbox' : 'radio'}
                id={itemId(p.id, i)}
                name={p.name}
                value={f.name}
                checked={chosen.has(f.name)}
                disabled={p.disabled}
                aria-invalid={p.error ? 'true' : undefined}
              />
              {f.name} <small>({formatBytes(f.size)})</small>
            </label>
          ))}
          {files.length > shown.length ? <p><small>Showing {shown.length} of {files.length} files.</small></p> : null}
        </GroupField>
      );
    },
  };
}
