// `npm run bench`: every benchmark, each printing a ratio against a peer measured in the same run.
import { stepLatency } from './step-latency.ts';

const { lines } = await stepLatency();
for (const l of lines) console.log(l);
