/**
 * Re-analyse a crawl without crawling again: extraction (with new custom rules, or a fixed
 * extractor) re-run over the bodies kept in the crawl's store, the rendered HTML where the crawl
 * rendered JavaScript, else the raw response. No network access at all: only the SQLite file.
 */
import { CrawlStore } from './crawl-store.ts';
import { decodeHtml, isHtml } from './decode.ts';
import { extractPage, type ExtractionRule } from './extract.ts';
import type { PageRecord } from './page-record.ts';
import { makeScope, type ScopeOptions } from './scope.ts';

export interface ReextractProgress {
  done: number;
  total: number;
}

export interface ReextractOptions {
  rules?: ExtractionRule[];
  /** Which links are internal; default: the crawl's seeds' hosts, with `scope` as the crawl had it. */
  isInternal?: (url: string) => boolean;
  scope?: ScopeOptions;
  /** Write the new extracts into the store's records. Default true; false only reports them (`onPage`). */
  update?: boolean;
  /** Each re-extracted record, as it would be stored. */
  onPage?: (record: PageRecord & { id: number }) => void;
  onProgress?: (p: ReextractProgress) => void;
  progressEveryMs?: number;
  signal?: AbortSignal;
}

export interface ReextractSummary {
  /** Stored pages looked at. */
  pages: number;
  /** HTML pages extracted again. */
  extracted: number;
  /** Pages whose extraction threw (their old record is kept, with the error). */
  errors: number;
  /** Extracted from the rendered HTML. */
  rendered: number;
  stopped: boolean;
}

const EXTRACT_FAILED = 'extract failed: ';

export async function reextract(storePath: string, opts: ReextractOptions = {}): Promise<ReextractSummary> {
  const store = new CrawlStore(storePath);
  const sum: ReextractSummary = { pages: 0, extracted: 0, errors: 0, rendered: 0, stopped: false };
  try {
    const isInternal = opts.isInternal ?? makeScope(store.seedUrls(), opts.scope ?? {}).isInternal;
    const update = opts.update ?? true;
    const ids = store.pageIds();
    let last = 0;
    const progress = (force: boolean): void => {
      const now = Date.now();
      if (!opts.onProgress || (!force && now - last < (opts.progressEveryMs ?? 500))) return;
      last = now;
      opts.onProgress({ done: sum.pages, total: ids.length });
    };
    for (const id of ids) {
      if (opts.signal?.aborted) {
        sum.stopped = true;
        break;
      }
      const record = store.page(id);
      sum.pages++;
      if (!record || record.status < 200 || record.status >= 300) continue;
      const rendered = store.renderedBody(id);
      const raw = rendered ? undefined : store.body(id);
      let html: string;
      if (rendered) html = rendered.toString('utf8');
      else if (raw && raw.body.length > 0 && isHtml(raw.contentType, raw.body)) html = decodeHtml(raw.body, raw.contentType).text;
      else continue;
      const next: PageRecord = { ...record };
      try {
        next.extract = extractPage(html, record.finalUrl, { isInternal, ...(opts.rules ? { rules: opts.rules } : {}) });
        if (next.error?.startsWith(EXTRACT_FAILED)) next.error = undefined;
        sum.extracted++;
        if (rendered) sum.rendered++;
      } catch (e) {
        next.error = `${EXTRACT_FAILED}${(e as Error).message}`;
        sum.errors++;
      }
      if (update) store.updateRecord(id, next);
      opts.onPage?.({ ...next, id });
      // Let the event loop breathe (progress, a stop) every so often.
      if (sum.pages % 200 === 0) {
        progress(false);
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    progress(true);
    return sum;
  } finally {
    store.close();
  }
}
