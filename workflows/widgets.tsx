import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { workflow } from '../src/engine/index.ts';
import {
  checkboxes, codeView, dropdown, fileList, fileUpload, keyValues, linkOut, markdownView,
  radios, range, tableView, text, textarea, toggle,
} from '../src/widgets/index.ts';

/** The repository's `samples/` folder: small files to choose from in the file-list step. */
const SAMPLES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../samples');

/**
 * Widgets: one step per widget, so you can see (and test) each of them. The last step does
 * real long-running work — hashing your uploaded file in chunks — with progress and Stop.
 */
export default workflow({
  id: 'widgets',
  title: 'Widget gallery',
  description: 'Every input widget and output view Railbook offers, one step each, ending with a long-running step you can watch and stop.',
})
  .step({
    id: 'title',
    title: 'Text',
    docs: 'A single line of text.',
    fields: { title: text({ label: 'Project title', max: 100, placeholder: 'My project' }) },
  })

  .step({
    id: 'notes',
    title: 'Textarea → markdown output',
    docs: 'Several lines of text. The output is rendered as **markdown** (raw HTML is shown as text).',
    fields: { notes: textarea({ label: 'Notes (markdown)', rows: 5, initial: '## Plan\n\n- first *this*\n- then **that**' }) },
    render: (out) => markdownView(out.notes),
  })

  .step({
    id: 'colour',
    title: 'Dropdown',
    fields: { colour: dropdown({ label: 'Favourite colour', options: ['red', 'green', 'blue'] as const }) },
  })

  .step({
    id: 'toppings',
    title: 'Checkboxes',
    fields: { toppings: checkboxes({ label: 'Toppings', options: ['cheese', 'olives', 'basil', 'chili'] as const, min: 1 }) },
  })

  .step({
    id: 'size',
    title: 'Radio buttons',
    fields: { size: radios({ label: 'Size', options: [{ value: 's', label: 'Small' }, { value: 'm', label: 'Medium' }, { value: 'l', label: 'Large' }] as const }) },
  })

  .step({
    id: 'level',
    title: 'Range',
    fields: { level: range({ label: 'Level', min: 0, max: 10, initial: 5 }) },
  })

  .step({
    id: 'notify',
    title: 'Switch',
    fields: { notify: toggle({ label: 'Notify me when done' }) },
  })

  .step({
    id: 'upload',
    title: 'File upload',
    docs: 'The file is stored in this run’s artifacts folder, with its SHA-256.',
    fields: { file: fileUpload({ label: 'A file to hash' }) },
    render: (out, ctx) => keyValues(out, { artifactUrl: ctx.artifactUrl }),
  })

  .step({
    id: 'pick',
    title: 'Choose files from a folder → table output',
    docs: `Files from the \`samples/\` folder. The output is a **table**.`,
    fields: { files: fileList({ label: 'Sample files', folder: SAMPLES }) },
    run: ({ input }) => ({
      files: input.files.map((name) => {
        const body = readFileSync(path.join(SAMPLES, name), 'utf8');
        return { name, bytes: Buffer.byteLength(body), lines: body.split('\n').filter(Boolean).length };
      }),
    }),
    render: (out) => tableView(out.files, { caption: 'Chosen files' }),
  })

  .step({
    id: 'link',
    title: 'Link that opens a new tab',
    fields: { url: text({ label: 'A web address', pattern: /^https?:\/\/\S+$/, patternMessage: 'Enter an address starting with http:// or https://', initial: 'https://htmx.org/' }) },
    render: (out) => linkOut(out.url),
  })

  .step({
    id: 'hash',
    title: 'Hash the upload (long-running) → code output',
    docs: 'Reads the uploaded file in chunks and hashes it, reporting progress. Slow it down with the pause to watch the bar, and press **Stop** to cancel.',
    fields: {
      chunkKb: range({ label: 'Chunk size (KiB)', min: 1, max: 1024, initial: 64 }),
      pauseMs: range({ label: 'Pause after each chunk (ms)', min: 0, max: 1000, initial: 0 }),
    },
    run: async ({ input, outputs, progress, signal, artifacts }) => {
      const file = artifacts.resolve(outputs.upload.file);
      const total = outputs.upload.file.size;
      const hash = createHash('sha256');
      let done = 0;
      let chunks = 0;
      progress({ done, total, message: 'starting' });
      for await (const chunk of createReadStream(file, { highWaterMark: input.chunkKb * 1024 })) {
        signal.throwIfAborted();
        hash.update(chunk as Buffer);
        done += (chunk as Buffer).length;
        chunks++;
        progress({ done, total, message: `${chunks} chunk${chunks === 1 ? '' : 's'} hashed` });
        if (input.pauseMs > 0) await sleep(input.pauseMs, signal);
      }
      const sha256 = hash.digest('hex');
      return { sha256, bytes: done, chunks, matchesStored: sha256 === outputs.upload.file.sha256 };
    },
    render: (out) => codeView(JSON.stringify(out, null, 2), 'json'),
  });

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => { clearTimeout(t); reject(signal.reason); };
    const t = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve(); }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
