// A real `railbook serve` in a child process, for tests that kill it (crash recovery).
// Usage: node --import tsx test/helpers/serve-child.ts <data dir> [extra workflows dir]
// Boots an engine on the data dir with the built-in, fixture (and extra) workflows, listens on
// 127.0.0.1 port 0, and prints one line: `RAILBOOK_URL <url>`. SIGTERM closes it gracefully.
// RAILBOOK_MAX_UPLOAD in its environment sets the upload limit, as for `railbook serve`;
// RAILBOOK_NOTEBOOKS_DIR adds a notebooks folder.
import { BUILTIN_WORKFLOWS_DIR, loadWorkflows } from '../../src/engine/registry.ts';
import { Engine } from '../../src/engine/engine.ts';
import { resolveMaxUpload } from '../../src/engine/upload-limit.ts';
import { resolveDataDir } from '../../src/store/data-dir.ts';
import { Store } from '../../src/store/store.ts';
import { startServer } from '../../src/web/server.ts';
import { FIXTURE_WORKFLOWS_DIR } from './temp-engine.ts';

const [dataDirArg, extraDir] = process.argv.slice(2);
if (!dataDirArg) {
  console.error('usage: serve-child.ts <data dir> [extra workflows dir]');
  process.exit(2);
}
const dirs = [BUILTIN_WORKFLOWS_DIR, FIXTURE_WORKFLOWS_DIR, ...(extraDir ? [extraDir] : [])];
const registry = await loadWorkflows(dirs);
// RAILBOOK_NOTEBOOKS_DIR: a notebooks folder to load too, as `railbook serve --notebooks-dir` does.
if (process.env.RAILBOOK_NOTEBOOKS_DIR) {
  const { notebookLoader } = await import('../../src/notebooks/notebook-loader.ts');
  // RAILBOOK_TEST_KERNEL runs every notebook in that kernel (as `--kernel` does for `railbook run`).
  await registry.loadDir(process.env.RAILBOOK_NOTEBOOKS_DIR, notebookLoader({ kernel: process.env.RAILBOOK_TEST_KERNEL || undefined }));
}
if (registry.errors.length) {
  console.error(`workflows failed to load: ${registry.errors.map((e) => `${e.file}: ${e.message}`).join('; ')}`);
  process.exit(1);
}
// RAILBOOK_DATABASE_URL selects PostgreSQL, as for `railbook serve`.
const store = await Store.open(resolveDataDir(dataDirArg), { databaseUrl: process.env.RAILBOOK_DATABASE_URL || undefined });
const engine = await Engine.start(store, registry, { maxUploadBytes: resolveMaxUpload(undefined) });
const server = await startServer({ engine, port: 0 });
process.stdout.write(`RAILBOOK_URL ${server.url}\n`);

process.once('SIGTERM', () => {
  void server.close().finally(async () => {
    await engine.shutdown();
    await store.close();
    process.exit(0);
  });
});
