// Workflow and step ids for a notebook, to the engine's id rule (src/engine/workflow.ts):
// lower-case letters, digits and "_", starting with a letter, at most 40 characters. Ids end up
// in run keys, URLs and job files, so they must be stable and readable.

import { createHash } from 'node:crypto';
import path from 'node:path';

export const ID_RULE = /^[a-z][a-z0-9_]{0,39}$/;
const MAX = 40;

/** `Café au lait (v2)` → `cafe_au_lait_v2`: accents dropped, every other run of non [a-z0-9] → "_". */
export function slugify(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/** Cuts a slug to `max` characters without leaving a trailing "_". */
function cut(slug: string, max: number): string {
  return slug.slice(0, max).replace(/_+$/, '');
}

/** First 8 hex digits of the SHA-256 of `text`: a short suffix that depends on nothing else. */
export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

/**
 * The workflow id from the notebook's file name, extension dropped: `Hello World (v2).ipynb` →
 * `hello_world_v2`; `2024 report.py` → `nb_2024_report` (ids start with a letter); a name with
 * nothing usable → `notebook`; cut to 40 characters.
 */
export function workflowIdFromFile(file: string): string {
  const base = path.basename(file, path.extname(file));
  const slug = slugify(base);
  if (!slug) return 'notebook';
  return cut(/^[a-z]/.test(slug) ? slug : `nb_${slug}`, MAX);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A step id from an nbformat 4.5 cell id, and from nothing else, so it survives every edit that
 * keeps the cell (moving it, inserting cells around it, changing its code or its first comment).
 * A named id stays readable (`load-data` → `load_data`); JupyterLab's UUIDs become
 * `cell_` + their first 8 hex digits; an id that does not start with a letter (nbformat's own
 * 8 random hex digits) gets `cell_` in front; one too long is cut and given a hash suffix.
 */
export function stepIdFromCellId(cellId: string): string {
  if (UUID.test(cellId)) return `cell_${cellId.slice(0, 8).toLowerCase()}`;
  let slug = slugify(cellId);
  if (!slug) return `cell_${shortHash(cellId)}`;
  if (!/^[a-z]/.test(slug)) slug = `cell_${slug}`;
  return slug.length <= MAX ? slug : `${cut(slug, MAX - 9)}_${shortHash(cellId)}`;
}

/**
 * A step id for a cell without a cell id (nbformat < 4.5, percent scripts): the slug of its title
 * (`# Load the data` → `load_the_data`), or `cell_<n>` (n: the step's 1-based position) when it
 * has none. Stable while the title is; untitled cells follow their position.
 */
export function stepIdFromTitle(title: string | undefined, n: number): string {
  const slug = title === undefined ? '' : slugify(title);
  if (!slug) return `cell_${n}`;
  return cut(/^[a-z]/.test(slug) ? slug : `step_${slug}`, MAX);
}

/**
 * Makes `id` unique among `taken` (and records it): a clash gets the hash of `seed` (the cell id,
 * so the result is still stable), then, if even that is taken, a counter.
 */
export function uniqueId(id: string, seed: string | undefined, taken: Set<string>): string {
  let out = id;
  if (taken.has(out) && seed !== undefined) out = `${cut(id, MAX - 9)}_${shortHash(seed)}`;
  for (let n = 2; taken.has(out); n++) out = `${cut(id, MAX - 1 - String(n).length)}_${n}`;
  taken.add(out);
  return out;
}
