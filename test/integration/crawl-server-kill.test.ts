// A person crawls a site from the browser and the server is killed (kill -9) mid-crawl: the
// restarted server shows the crawl step interrupted, and running it again resumes the crawl from
// its file — every page done before the kill is requested exactly once (the site counts). The
// server is a real `railbook serve` in a child process, driven only over HTTP, on both backends.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { forEachBackend } from '../helpers/backends.ts';
import { doneUrls } from '../helpers/crawl-db.ts';
import { page, raw, startSite, type TestSite } from '../helpers/hostile-site.ts';
import { cliData, type CliData } from '../helpers/railbook-cli.ts';
import { csrfFrom, newRun, postForm, startServeProcess, waitFor, type ServeProcess } from '../helpers/serve-process.ts';

const PAGES = 60;

forEachBackend((backend) => {
  describe(`a crawl when its server is killed (${backend})`, () => {
    let data: CliData;
    let site: TestSite;
    let child: ServeProcess | undefined;

    before(async () => {
      data = await cliData(backend, 'railbook-crawl-kill-');
      const routes: Record<string, string | ReturnType<typeof raw>> = { '/robots.txt': raw(200, { 'content-type': 'text/plain' }, 'User-agent: *\nAllow: /\n') };
      for (let i = 0; i < PAGES; i++) routes[i === 0 ? '/' : `/p${i}`] = page(`P${i}`, [1, 2].map((d) => i + d).filter((j) => j < PAGES).map((j) => `/p${j}`));
      // Slow enough that the crawl is still going when it is killed.
      site = await startSite(routes, undefined, 40);
    });
    after(async () => {
      if (child && child.proc.exitCode === null) {
        child.proc.kill('SIGKILL');
        await child.exited;
      }
      await site?.close();
      await data?.cleanup();
    });

    it('kill -9 mid-crawl, restart, run the step again: it resumes without fetching a done page twice', { timeout: 120_000 }, async () => {
      child = await startServeProcess(data);
      let base = child.base;
      const csrf = await csrfFrom(base, '/wf/crawl');
      const key = await newRun(base, 'crawl', csrf);
      const run = `/wf/crawl/runs/${key}/steps`;
      assert.equal((await postForm(base, `${run}/site`, { _csrf: csrf, startUrl: `${site.origin}/`, extraUrls: '' })).status, 303);
      assert.equal((await postForm(base, `${run}/limits`, { _csrf: csrf, maxPages: '500', maxDepth: '100', perHost: '1', userAgent: 'RailbookBot/test' })).status, 303);
      assert.equal((await postForm(base, `${run}/crawl`, { _csrf: csrf })).status, 303);

      const file = path.join(data.dir, 'artifacts', key, 'crawl.db');
      await waitFor(base, key, () => existsSync(file) && doneUrls(file).length >= 5, 'a few pages crawled', 60_000);
      child.proc.kill('SIGKILL');
      assert.equal(await child.exited, null, 'killed by a signal');
      const doneBefore = doneUrls(file);
      assert.ok(doneBefore.length < PAGES, `killed mid-crawl (${doneBefore.length} of ${PAGES} done)`);

      child = await startServeProcess(data);
      base = child.base;
      const after1 = await waitFor(base, key, (s) => s.steps.crawl!.status !== 'running', 'the killed crawl to be taken for dead');
      assert.equal(after1.steps.crawl!.status, 'interrupted');
      const page1 = await (await fetch(`${base}/wf/crawl/runs/${key}`)).text();
      assert.match(page1, /Interrupted/);

      assert.equal((await postForm(base, `${run}/crawl`, { _csrf: csrf })).status, 303);
      const done = await waitFor(base, key, (s) => s.steps.crawl!.status === 'done', 'the resumed crawl to finish', 90_000);
      const out = done.steps.crawl!.output as { status: string; pages: number; resumed: boolean; fetchedThisRun: number };
      assert.deepEqual([out.status, out.pages, out.resumed], ['done', PAGES, true]);
      assert.ok(out.fetchedThisRun <= PAGES - doneBefore.length, `fetched ${out.fetchedThisRun} after the restart`);
      for (const u of doneBefore) assert.equal(site.count(new URL(u).pathname), 1, `${u} fetched once`);
      for (let i = 1; i < PAGES; i++) assert.ok(site.count(`/p${i}`) >= 1, `/p${i} fetched`);
    });
  });
});
