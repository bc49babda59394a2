// `npm run bench`: every benchmark, each printing a ratio against a peer measured in the same run.
// One failing benchmark does not stop the others; the command then exits with 1 (at once: a
// benchmark that failed half-way may have left its servers listening).
import { chatFirstToken } from './chat-first-token.ts';
import { crawlBench } from './crawl.ts';
import { linkGraphBench } from './link-graph.ts';
import { notebookCellOverhead } from './notebook-cell-overhead.ts';
import { notebookRun } from './notebook-run.ts';
import { queueThroughput } from './queue-throughput.ts';
import { retrieval } from './retrieval.ts';
import { stepLatency } from './step-latency.ts';
import { uploadThroughput } from './upload-throughput.ts';

const benchmarks: [string, () => Promise<{ lines: string[] }>][] = [
  ['step-latency', stepLatency],
  ['upload-throughput', uploadThroughput],
  ['notebook-cell-overhead', notebookCellOverhead],
  ['notebook-run', notebookRun],
  ['queue-throughput', queueThroughput],
  ['retrieval', retrieval],
  ['chat-first-token', chatFirstToken],
  ['crawl', () => crawlBench()],
  ['link-graph', () => linkGraphBench()],
];

let failed = false;
for (const [name, bench] of benchmarks) {
  try {
    const { lines } = await bench();
    for (const l of lines) console.log(l);
  } catch (e) {
    console.error(`${name} FAILED: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    failed = true;
  }
}
if (failed) process.exit(1);
