// `npm test`: the whole suite on node's own test runner, as fast as the machine allows.
// One PostgreSQL server is started for every test file (each file makes its own databases on it:
// test/helpers/postgres.ts), instead of one server per file; the files that need no browser run
// several at a time, then the browser files one at a time (Chromium is heavy, and their pages
// are timed by people's standards). Exits non-zero if any test failed.
import { spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { postgresUrl } from './helpers/postgres.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const files = (dir: string) => readdirSync(path.join(root, 'test', dir)).filter((f) => f.endsWith('.test.ts')).sort().map((f) => `test/${dir}/${f}`);

function run(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: 'inherit' });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

const env: NodeJS.ProcessEnv = { ...process.env, RAILBOOK_TEST_POSTGRES_URL: process.env.RAILBOOK_TEST_POSTGRES_URL || (await postgresUrl()) };
// RAILBOOK_TEST_CONCURRENCY overrides; by default one file per core, at least two.
const concurrency = Number(process.env.RAILBOOK_TEST_CONCURRENCY) || Math.max(2, cpus().length);
const started = Date.now();
const first = await run(['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...files('unit'), ...files('integration')], env);
const second = await run(['--import', 'tsx', '--test', '--test-concurrency=1', ...files('browser')], env);
process.stdout.write(`# all test files: ${first === 0 && second === 0 ? 'passed' : 'FAILED'} in ${Math.round((Date.now() - started) / 1000)} s\n`);
process.exit(first === 0 && second === 0 ? 0 : 1);
