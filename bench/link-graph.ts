/**
 * The link graph view in real Chromium at 10k and 100k pages (≈10 links each): time to the first
 * frame, and frames per second while the camera pans (a scripted camera move; each frame sigma
 * draws is counted through its `afterRender` event). Baseline in the same run: sigma alone on the
 * same graph file (graphology + sigma with default settings and every edge, no Railbook view).
 * Also the server side: building the metrics (PageRank, components, Louvain, layout) and the sizes
 * of the files written.
 *
 * First frame is measured in the page: from graph.js starting (libraries not loaded yet) to sigma
 * having drawn (it draws inside its constructor), so it includes loading sigma and graphology,
 * fetching and reading the graph file, building the graphology graph and the first draw.
 *
 * Chromium here has no GPU (software WebGL): absolute numbers are far below a desktop's.
 *
 *   node --import tsx bench/link-graph.ts
 *   BENCH_GRAPH_SIZES=10000 node --import tsx bench/link-graph.ts
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { analyseGraph } from '../src/seo/graph/analyse-graph.ts';
import { graphFile } from '../src/seo/graph/browser-file.ts';
import { chunksToBuffer, gexfChunks } from '../src/seo/graph/exports.ts';
import { syntheticGraph } from '../src/seo/graph/synthetic-graph.ts';
import { launchBrowser } from '../test/browser/helpers.ts';
import { serveGraphPage } from '../test/helpers/graph-page.ts';

const SIZES = (process.env.BENCH_GRAPH_SIZES ?? '10000,100000').split(',').map(Number);
const PAN_MS = Number(process.env.BENCH_GRAPH_PAN_MS ?? 4000);
/** The bare sigma baseline at 1M edges can take minutes without a GPU: past this, it is reported as such. */
const BASELINE_TIMEOUT_MS = Number(process.env.BENCH_GRAPH_BASELINE_TIMEOUT_MS ?? 240_000);
const SLOW_FRAME_MS = 30_000;

// Page source as strings: tsx would wrap named functions in a helper the page lacks.
const COUNT_FRAMES = `(function () {
  var s = window.__railbookGraph.sigma;
  window.__frames = 0;
  window.__countFrames = function () { window.__frames++; };
  s.on('afterRender', window.__countFrames);
  return performance.now();
})()`;
const STOP_COUNTING = `(function () {
  window.__railbookGraph.sigma.off('afterRender', window.__countFrames);
  return [window.__frames, performance.now()];
})()`;

/** A person's drag across the stage, in small moves until PAN_MS is over (sigma's own panning, so hideEdgesOnMove applies). */
async function pan(page: Page): Promise<number> {
  const box = (await page.locator('.rb-graph-stage').boundingBox())!;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  await page.mouse.move(cx, cy);
  await page.mouse.down();
  const start = (await page.evaluate(COUNT_FRAMES)) as number;
  const t0 = Date.now();
  for (let k = 0; Date.now() - t0 < PAN_MS; k++) {
    await page.mouse.move(cx + 150 * Math.cos(k / 10), cy + 150 * Math.sin(k / 10));
    await page.waitForTimeout(16);
  }
  const [frames, end] = (await page.evaluate(STOP_COUNTING)) as [number, number];
  await page.mouse.up();
  return (frames * 1000) / (end - start);
}

interface ViewResult {
  firstFrameMs: number | undefined;
  fps: number | undefined;
  fpsNoEdges?: number | undefined;
  note: string;
}

/** Load the page, wait for the first frame, then pan for PAN_MS and count sigma's frames. */
async function measure(browser: Browser, url: string, timeoutMs: number): Promise<ViewResult> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page: Page = await context.newPage();
  // Without a GPU a frame of 1M edges can hold the page's main thread for many seconds.
  page.setDefaultTimeout(timeoutMs);
  try {
    await page.goto(url);
    let firstFrameMs: number;
    try {
      // Read in the same evaluation that sees "ready": afterwards the page may not answer for minutes.
      const got = await page.waitForFunction(
        "(function () { var r = document.querySelector('.rb-graph'); return r && r.getAttribute('data-graph-state') === 'ready' ? Number(r.getAttribute('data-graph-ms')) : false; })()",
        undefined, { timeout: timeoutMs },
      );
      firstFrameMs = (await got.jsonValue()) as number;
    } catch {
      return { firstFrameMs: undefined, fps: undefined, note: `no first frame within ${Math.round(timeoutMs / 1000)} s` };
    }
    // A first frame this slow means each frame is as slow: a pan would take many minutes to count.
    if (firstFrameMs > SLOW_FRAME_MS) return { firstFrameMs, fps: undefined, note: `not panned: first frame over ${SLOW_FRAME_MS / 1000} s` };
    let fps: number;
    try {
      fps = await pan(page);
    } catch {
      return { firstFrameMs, fps: undefined, note: `page unresponsive after its first frame (over ${Math.round(timeoutMs / 1000)} s)` };
    }
    const edges = await page.getAttribute('.rb-graph', 'data-graph-edges-shown');
    let fpsNoEdges: number | undefined;
    if (edges !== null) {
      // The same view with no links drawn: the floor the nodes alone set.
      await page.locator('[data-graph-edges]').selectOption('none');
      fpsNoEdges = await pan(page);
    }
    return { firstFrameMs, fps, fpsNoEdges, note: edges === null ? 'all edges' : `${edges} edges drawn` };
  } finally {
    await context.close();
  }
}

function fmt(v: number | undefined, digits = 0): string {
  return v === undefined ? '—' : v.toFixed(digits);
}

/** `onLine` gets each line as soon as it is known (a run at 100k takes minutes). */
export async function linkGraphBench(onLine: (l: string) => void = () => {}): Promise<{ lines: string[] }> {
  const lines: string[] = [];
  const say = (l: string): void => {
    lines.push(l);
    onLine(l);
  };
  say('link-graph: the view in Chromium (software WebGL) vs sigma alone on the same file');
  const browser = await launchBrowser();
  try {
    for (const n of SIZES) {
      const t0 = performance.now();
      const g = syntheticGraph(n, 10);
      const a = await analyseGraph(g);
      const analyseMs = performance.now() - t0;
      const file = graphFile(a);
      const gexfBytes = chunksToBuffer(gexfChunks(a)).length;
      const served = await serveGraphPage(file);
      try {
        say(`  ${n} pages, ${g.src.length} links: server ${(analyseMs / 1000).toFixed(1)} s (${Object.entries(a.timings).map(([k, v]) => `${k} ${v} ms`).join(', ')}; communities: ${a.communities.method}, ${a.communities.count}); graph file ${(file.length / 1e6).toFixed(1)} MB, GEXF ${(gexfBytes / 1e6).toFixed(1)} MB`);
        const view = await measure(browser, served.url, 120_000);
        say(`    view: first frame ${fmt(view.firstFrameMs)} ms, ${fmt(view.fps, 1)} fps panning (${view.note}), ${fmt(view.fpsNoEdges, 1)} fps with links off`);
        const bare = await measure(browser, `${served.url}?bare=1`, BASELINE_TIMEOUT_MS);
        const ratio = (x: number | undefined, y: number | undefined): string => (x !== undefined && y !== undefined && y > 0 ? `${(x / y).toFixed(2)}×` : '—');
        lines.push(
          `    first frame: view ${fmt(view.firstFrameMs)} ms, sigma alone ${fmt(bare.firstFrameMs)} ms (view/sigma ${ratio(view.firstFrameMs, bare.firstFrameMs)})`,
          `    panning:     view ${fmt(view.fps, 1)} fps (${view.note}; ${fmt(view.fpsNoEdges, 1)} fps with links off), sigma alone ${fmt(bare.fps, 1)} fps (${bare.note}) (view/sigma ${ratio(view.fps, bare.fps)})`,
        );
        for (const l of lines.slice(-2)) onLine(l);
      } finally {
        await served.close();
      }
    }
  } finally {
    await browser.close();
  }
  return { lines };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await linkGraphBench((l) => console.log(l));
}
