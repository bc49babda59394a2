import path from 'node:path';
import { workflow } from '../src/engine/index.ts';
import type { ArtifactRef } from '../src/store/artifact-ref.ts';
import { crawl, type CrawlProgress, type StopReason } from '../src/seo/crawl/crawler.ts';
import { DEFAULT_USER_AGENT } from '../src/seo/crawl/fetch-page.ts';
import { parseRuleLines } from '../src/seo/crawl/rule-lines.ts';
import type { Findings } from '../src/seo/findings/analyse.ts';
import {
  capFindings, commentaryData, customValues, exclusive, findingsOf, pageSample, parseUrlList, patternLines, prepareCrawlFile, robotsNotes, tableCsv, worstTables,
} from '../src/seo/crawl-workflow-helpers.ts';
import { findingsWorkbook } from '../src/seo/findings/xlsx.ts';
import { barChart, keyValues, markdownView, modelComment, number, statusCodeTone, tableView, text, textarea, toggle } from '../src/widgets/index.ts';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/**
 * Site crawl: a start URL → limits → the crawl, live and resumable → findings → the model's
 * commentary → custom extraction. Every byte fetched is kept in the run's crawl file (`crawl.db` in its artifacts), so
 * a stopped, killed or restarted crawl goes on where it was when its step is run again.
 */
export default workflow({
  id: 'crawl',
  title: 'Site crawl',
  description:
    'Crawl a site politely (robots.txt, crawl-delay, a few requests at a time), see what is broken or weak — status codes, broken links, redirects, titles, descriptions, duplicates, orphans — and what the AI model makes of it.',
})
  // Step 1: where to start. The run checks the URL list line by line and says which line is wrong.
  .step({
    id: 'site',
    title: 'Site',
    docs: 'The page to start from. The crawl stays on its host (and, if you choose so in the next step, its subdomains).',
    fields: {
      startUrl: text({ label: 'Start URL', max: 2000, placeholder: 'https://example.com/', pattern: /^https?:\/\/\S+$/i, patternMessage: 'Enter an http:// or https:// address' }),
      extraUrls: textarea({ label: 'More URLs to start from (optional, one per line)', rows: 4, max: 200_000, required: false }),
      sitemaps: toggle({ label: 'Also start from the sitemaps (robots.txt and /sitemap.xml)', initial: true }),
    },
    run: ({ input }) => {
      const start = parseUrlList(input.startUrl);
      const extra = parseUrlList(input.extraUrls);
      if (start.urls.length !== 1) throw new Error(`The start URL is not an http(s) address: ${input.startUrl}`);
      if (extra.bad.length) throw new Error(`Not http(s) addresses: ${extra.bad.slice(0, 5).join(', ')}${extra.bad.length > 5 ? ` and ${extra.bad.length - 5} more` : ''}`);
      return { startUrl: start.urls[0]!, extraUrls: extra.urls, sitemaps: input.sitemaps };
    },
  })

  // Step 2: how far and how fast. Limits may be raised later: a resumed crawl goes on under them.
  .step({
    id: 'limits',
    title: 'Limits',
    docs: 'How much to crawl, and how gently. Two requests at a time per host is polite; robots.txt crawl-delay slows it further.',
    fields: {
      maxPages: number({ label: 'Max pages', integer: true, min: 1, max: 1_000_000, initial: 500 }),
      maxDepth: number({ label: 'Max depth (clicks from the start)', integer: true, min: 0, max: 100, initial: 5 }),
      maxMinutes: number({ label: 'Max minutes (empty: no limit)', integer: true, min: 1, max: 10_000, required: false }),
      perHost: number({ label: 'Requests at a time per host', integer: true, min: 1, max: 16, initial: 2 }),
      maxKbPerPage: number({ label: 'Max KB per page (longer ones are cut and reported; empty: 5120)', integer: true, min: 16, max: 51_200, required: false }),
      subdomains: toggle({ label: 'Include subdomains' }),
      followNofollow: toggle({ label: 'Follow nofollow links (rel="nofollow", meta robots nofollow)' }),
      renderJs: toggle({ label: 'Render JavaScript with Chromium (slower: for sites that build their pages with scripts)' }),
      include: textarea({ label: 'Only URLs matching (optional: one regular expression per line)', rows: 2, max: 10_000, required: false, placeholder: '/blog/' }),
      exclude: textarea({ label: 'Never URLs matching (optional: one regular expression per line)', rows: 2, max: 10_000, required: false, placeholder: '\\?sort=' }),
      userAgent: text({ label: 'User agent', max: 300, initial: DEFAULT_USER_AGENT }),
    },
    // Each pattern line is checked here, so a typo is reported against its line before any crawl.
    run: async ({ input }) => {
      if (input.renderJs) {
        // Loaded only when asked for: playwright-core is large, and most crawls do not render.
        const { CHROMIUM_MISSING, findChromium } = await import('../src/seo/crawl/render-js.ts');
        if (!findChromium()) throw new Error(CHROMIUM_MISSING);
      }
      return { ...input, maxMinutes: input.maxMinutes ?? null, maxKbPerPage: input.maxKbPerPage ?? 5_120, include: patternLines('Only URLs matching', input.include), exclude: patternLines('Never URLs matching', input.exclude) };
    },
  })

  // Step 3: the crawl. Progress and a partial output while it goes; stopping it keeps the partial
  // output ("stopped at N pages"), and running the step again resumes from the crawl file.
  .step({
    id: 'crawl',
    title: 'Crawl',
    docs: 'Runs the crawl. Stop it whenever you like, or close the tab: run this step again to go on where it was. A revert keeps the crawl file; tick "Start over" to begin afresh.',
    fields: {
      startOver: toggle({ label: 'Start over (forget what an earlier crawl of this run fetched)' }),
    },
    submitLabel: 'Crawl',
    run: async ({ input, outputs, artifacts, progress, partial, signal }) => {
      const { site, limits } = outputs;
      const storePath = path.join(artifacts.dir, 'crawl.db');
      const startUrls = [site.startUrl, ...site.extraUrls];
      return exclusive(storePath, async () => {
        const ready = prepareCrawlFile(storePath, { startUrls, sitemaps: site.sitemaps, subdomains: limits.subdomains }, input.startOver);
        const show = (p: CrawlProgress): void => {
          const message = `${p.pages} pages · ${p.pagesPerSec.toFixed(1)} pages/s · ${p.queued} queued · ${p.errors} errors`;
          progress({ done: p.pages, total: limits.maxPages, message });
          partial({ status: 'crawling', pages: p.pages, queued: p.queued, errorsThisRun: p.errors, skipped: p.skipped, elapsedS: seconds(p.elapsedMs), resumed: ready.resumed, note: ready.note });
        };
        // One Chromium for the whole crawl, closed whatever happens; the pages are handed to it, not fetched again.
        const renderer = limits.renderJs ? await (await import('../src/seo/crawl/render-js.ts')).createChromiumRenderer({ userAgent: limits.userAgent, concurrency: Math.min(limits.perHost, 4) }) : undefined;
        // Limits saved by an older version of this workflow lack the later fields: their defaults apply.
        const maxKb = limits.maxKbPerPage ?? 5_120;
        const sum = await crawl({
          storePath, startUrls, discoverSitemaps: site.sitemaps, maxPages: limits.maxPages, maxDepth: limits.maxDepth,
          perHostConcurrency: limits.perHost, userAgent: limits.userAgent, followNofollow: limits.followNofollow ?? false,
          maxBytesPerPage: maxKb * 1024, ...(typeof limits.maxMinutes === 'number' ? { maxTimeMs: limits.maxMinutes * 60_000 } : {}),
          scope: { subdomains: limits.subdomains, include: limits.include ?? [], exclude: limits.exclude ?? [] },
          signal, onProgress: show, progressEveryMs: 500, ...(renderer ? { renderer } : {}),
        }).finally(() => renderer?.close());
        const c = sum.counts;
        return {
          status: sum.reason as StopReason | 'crawling',
          pages: c.done + c.failed, queued: c.queued, failed: c.failed, skipped: c.skipped, fetchedThisRun: sum.fetchedThisRun,
          elapsedS: seconds(sum.elapsedMs), resumed: ready.resumed, note: ready.note,
          robots: robotsNotes(sum), sitemaps: sum.sitemaps.length,
        };
      });
    },
    render: (out, ctx) => {
      // A stopped (or killed) crawl keeps its last partial output, still saying "crawling".
      const stopped = out.status === 'crawling' && !ctx.live;
      const head = stopped
        ? `**Stopped at ${out.pages} pages.** Run this step again to resume where it stopped.`
        : out.status === 'crawling' ? `Crawling… **${out.pages}** pages so far.` : `**${out.pages} pages** crawled (${out.status}).`;
      return [markdownView(head), keyValues(out)];
    },
  })

  // Step 4: findings from the stored pages (no fetching). The run's state keeps the first rows of
  // each table; every row goes to a CSV file per table.
  .step({
    id: 'findings',
    title: 'Findings',
    docs: 'What the crawl found, worst first, from the pages stored by the crawl (nothing is fetched). Each table shows its first rows (click a heading to sort, type to filter); the workbook and the CSV files hold every row.',
    fields: {},
    submitLabel: 'Analyse',
    run: async ({ outputs, artifacts }) => {
      const all = findingsOf(path.join(artifacts.dir, 'crawl.db'));
      const workbook = await artifacts.write('findings.xlsx', await findingsWorkbook(all, { site: outputs.site.startUrl }), XLSX);
      const files: ArtifactRef[] = [];
      for (const t of worstTables(all)) files.push(await artifacts.write(`${t.id}.csv`, tableCsv(t), 'text/csv'));
      return { findings: capFindings(all, 50), workbook, files };
    },
    render: (out, ctx) => [
      barChart(out.findings.statusCodes, { title: 'Status codes', unit: 'pages', tone: statusCodeTone }),
      barChart(out.findings.depths, { title: 'Pages by depth (clicks from the start)', unit: 'pages' }),
      tableView(summaryRows(out.findings), { caption: 'Findings', columns: ['finding', 'severity', 'rows'], sortable: true }),
      ...worstTables(out.findings).map((t) =>
        tableView(t.rows, { columns: t.columns, caption: `${t.title} (${t.total}${t.more > 0 ? `, first ${t.rows.length} shown: every row is in the workbook` : ''})`, sortable: true, filterable: true }),
      ),
      keyValues({ workbook: out.workbook, csv: out.files }, { artifactUrl: ctx.artifactUrl }),
    ],
  })

  // Step 5: the peanut gallery. The comment streams into the card and is kept with the run; without
  // a model it says how to connect one, and the step still completes.
  .step({
    id: 'commentary',
    title: 'Commentary',
    docs: 'The AI model reads the findings (the counts and the first rows of the worst tables) and a sample of pages (the start page, the most linked-to ones, one from each of the worst findings), and says what to fix first.',
    fields: {
      question: text({ label: 'Ask the model', max: 500, initial: 'What should this site fix first, and why?' }),
    },
    submitLabel: 'Ask the model',
    run: async ({ input, outputs, artifacts, ai, partial }) => {
      const prompt = `You are an SEO consultant reviewing a crawl of a website: its findings and a sample of its pages. Be concrete: name the pages and the fixes. ${input.question}`;
      const sample = pageSample(path.join(artifacts.dir, 'crawl.db'), outputs.findings.findings);
      const comment = await ai.comment({ prompt, data: commentaryData(outputs.findings.findings, sample), maxTokens: 500, onText: (c) => partial({ comment: c }) });
      return { comment };
    },
    render: (out, ctx) => modelComment(out.comment, ctx),
  })

  // Step 6: custom extraction (Screaming Frog's), over the stored pages: change a rule and run the
  // step again — nothing is fetched. The values are this step's output; the crawl file is unchanged.
  .step({
    id: 'extract',
    title: 'Custom extraction',
    docs: 'Pull values out of every crawled page: prices, authors, schema fields… One rule per line, `name = css|xpath|regex expression`; a CSS rule may end with `@attribute`. Works on the stored pages, so you can change the rules and run it again without crawling. Leave it empty to skip.',
    fields: {
      rules: textarea({
        label: 'Rules (one per line)', rows: 4, max: 20_000, required: false,
        placeholder: 'price = css .price\nimage = css img.hero @src\nauthor = xpath //meta[@name="author"]/@content\nsku = regex "sku":"([^"]+)"',
      }),
    },
    submitLabel: 'Extract',
    run: async ({ input, artifacts, progress, signal }) => {
      const rules = parseRuleLines(input.rules);
      if (rules.length === 0) return { rules: 0, pages: 0, found: {}, rows: [], total: 0, csv: null };
      const got = await customValues(path.join(artifacts.dir, 'crawl.db'), rules, {
        signal,
        onProgress: (p) => progress({ done: p.done, total: p.total, message: `${p.done} of ${p.total} pages` }),
      });
      const csv = await artifacts.write('custom-extraction.csv', tableCsv(got.table), 'text/csv');
      return { rules: rules.length, pages: got.summary.extracted, found: got.found, rows: got.table.rows.slice(0, 50), total: got.table.total, csv };
    },
    render: (out, ctx) => out.rules === 0
      ? markdownView('No rules: nothing extracted.')
      : [
        keyValues({ pages: out.pages, 'pages with a value, by rule': out.found }),
        tableView(out.rows, { caption: `Values (${out.total}${out.total > out.rows.length ? `, first ${out.rows.length} shown: every row is in the CSV` : ''})`, sortable: true, filterable: true }),
        keyValues({ csv: out.csv }, { artifactUrl: ctx.artifactUrl }),
      ],
  });

function seconds(ms: number): number {
  return Math.round(ms / 100) / 10;
}

/** One line per finding that has rows, worst first. */
function summaryRows(f: Findings): { finding: string; severity: string; rows: number }[] {
  return worstTables(f).map((t) => ({ finding: t.title, severity: t.severity, rows: t.total }));
}
