/**
 * A crawl in a process of its own, for the kill -9 test (test/integration/crawl-resume.test.ts):
 *
 *   node --import tsx test/helpers/crawl-child.ts <storePath> <startUrl>
 *
 * Prints `progress <pages>` as pages are stored and `finished <reason> <fetchedThisRun>` at the end.
 */
import { crawl } from '../../src/seo/crawl/crawler.ts';

const [storePath, startUrl] = process.argv.slice(2);
if (!storePath || !startUrl) throw new Error('usage: crawl-child.ts <storePath> <startUrl>');
const sum = await crawl({
  storePath,
  startUrls: [startUrl],
  discoverSitemaps: false,
  progressEveryMs: 0,
  onProgress: (p) => process.stdout.write(`progress ${p.pages}\n`),
});
process.stdout.write(`finished ${sum.reason} ${sum.fetchedThisRun}\n`);
