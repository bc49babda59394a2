/**
 * One crawler of the crawl benchmark, in its own process so its CPU time and peak RSS are its own:
 * Railbook's `crawl()` (full extraction, everything stored in SQLite) or crawlee's CheerioCrawler
 * (title and links read in its handler, in-memory storage). Prints one JSON line with the result.
 *
 * `bare` is the floor: undici fetch and htmlparser2 links, a Set for the frontier, nothing stored.
 *
 *   node --import tsx bench/crawl-runner.ts railbook|crawlee|bare <startUrl> <maxPages> <concurrency> <scratchDir>
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

const [which, startUrl, maxPagesArg, concurrencyArg, scratch] = process.argv.slice(2);
if (!which || !startUrl || !scratch) throw new Error('usage: crawl-runner.ts railbook|crawlee <startUrl> <maxPages> <concurrency> <scratchDir>');
const maxPages = Number(maxPagesArg);
const concurrency = Number(concurrencyArg);
mkdirSync(scratch, { recursive: true });

/** Linux's high-water mark of the resident set: the true peak, not a sample. */
function peakRssMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : process.memoryUsage().rss / 1024 / 1024;
}

export interface RunnerResult {
  pages: number;
  ms: number;
  cpuMs: number;
  peakRssMb: number;
  storeMb?: number;
}

async function runRailbook(): Promise<RunnerResult> {
  const { crawl } = await import('../src/seo/crawl/crawler.ts');
  const storePath = path.join(scratch!, `railbook-${process.pid}.sqlite`);
  rmSync(storePath, { force: true });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const sum = await crawl({
    storePath, startUrls: [startUrl!], maxPages, concurrency, perHostConcurrency: concurrency, discoverSitemaps: false,
  });
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  let storeMb = 0;
  for (const f of [storePath, `${storePath}-wal`]) {
    try {
      storeMb += (await import('node:fs')).statSync(f).size / 1024 / 1024;
    } catch {
      // no WAL left
    }
  }
  return { pages: sum.fetchedThisRun, ms, cpuMs: (cpu.user + cpu.system) / 1000, peakRssMb: peakRssMb(), storeMb };
}

async function runCrawlee(): Promise<RunnerResult> {
  // In-memory storage under the scratch folder, nothing persisted, quiet logs.
  process.env['CRAWLEE_STORAGE_DIR'] = path.join(scratch!, `crawlee-${process.pid}`);
  process.env['CRAWLEE_PERSIST_STORAGE'] = 'false';
  process.env['CRAWLEE_PURGE_ON_START'] = 'true';
  process.env['CRAWLEE_LOG_LEVEL'] = 'ERROR';
  const { CheerioCrawler, Log, log, LogLevel } = await import('@crawlee/cheerio');
  log.setLevel(LogLevel.OFF);
  let pages = 0;
  let failed = 0;
  let titles = 0;
  let links = 0;
  const crawler = new CheerioCrawler({
    maxConcurrency: concurrency,
    // Started at full concurrency: the autoscaler's ramp-up is not what is measured.
    minConcurrency: concurrency,
    maxRequestsPerCrawl: maxPages,
    maxRequestRetries: 0,
    log: new Log({ level: LogLevel.OFF }),
    async requestHandler({ $, enqueueLinks }) {
      pages++;
      if ($('title').text()) titles++;
      links += $('a[href]').length;
      await enqueueLinks({ strategy: 'same-hostname' });
    },
    failedRequestHandler() {
      failed++;
    },
  });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await crawler.run([startUrl!]);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  rmSync(process.env['CRAWLEE_STORAGE_DIR'], { recursive: true, force: true });
  void titles;
  void links;
  return { pages: pages + failed, ms, cpuMs: (cpu.user + cpu.system) / 1000, peakRssMb: peakRssMb() };
}

/** Fetch, parse for links, queue new same-origin ones: what any crawler must do, and nothing else. */
async function runBare(): Promise<RunnerResult> {
  const { Agent, request } = await import('undici');
  const { Parser } = await import('htmlparser2');
  const agent = new Agent({ connections: concurrency });
  const origin = new URL(startUrl!).origin;
  const seen = new Set<string>([startUrl!]);
  const queue: string[] = [startUrl!];
  let pages = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    for (;;) {
      const url = queue.shift();
      if (url === undefined) {
        if (active === 0) return;
        await new Promise((r) => setTimeout(r, 1));
        continue;
      }
      active++;
      try {
        const res = await request(url, { dispatcher: agent });
        const html = await res.body.text();
        pages++;
        if (!String(res.headers['content-type'] ?? '').includes('html')) continue;
        new Parser({
          onopentag(name, a) {
            const href = a['href'];
            if (name !== 'a' || href === undefined) return;
            let u: URL;
            try {
              u = new URL(href, url);
            } catch {
              return;
            }
            u.hash = '';
            if (u.origin !== origin || seen.has(u.href) || seen.size >= maxPages) return;
            seen.add(u.href);
            queue.push(u.href);
          },
        }).end(html);
      } catch {
        pages++;
      } finally {
        active--;
      }
    }
  };
  let active = 0;
  await Promise.all(Array.from({ length: concurrency }, worker));
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await agent.close();
  return { pages, ms, cpuMs: (cpu.user + cpu.system) / 1000, peakRssMb: peakRssMb() };
}

const result = which === 'railbook' ? await runRailbook() : which === 'bare' ? await runBare() : await runCrawlee();
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
process.exit(0);
