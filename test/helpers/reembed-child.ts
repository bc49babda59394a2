/**
 * A re-embed in a process of its own, for the kill -9 test (test/integration/memory-reembed.test.ts):
 *
 *   node --import tsx test/helpers/reembed-child.ts <dataDir> <model> <dims> <delayMs> <batchSize>
 *
 * Prints `progress <done> <total>` after each committed batch and `finished <status>` at the end.
 */
import { runReembed } from '../../src/ai/memory/reembed.ts';
import { VectorMemory } from '../../src/ai/memory/vector-memory.ts';
import { hashingEmbedder } from './hashing-embedder.ts';

const [dataDir, model, dims, delayMs, batchSize] = process.argv.slice(2);
if (!dataDir || !model) throw new Error('usage: reembed-child.ts <dataDir> <model> <dims> <delayMs> <batchSize>');
const mem = VectorMemory.open(dataDir);
const result = await runReembed(mem.db, hashingEmbedder(model, Number(dims), { delayMs: Number(delayMs) }), {
  batchSize: Number(batchSize),
  onProgress: (p) => process.stdout.write(`progress ${p.done} ${p.total}\n`),
});
process.stdout.write(`finished ${result.status}\n`);
mem.close();
