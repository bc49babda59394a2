import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

/**
 * A real PostgreSQL for tests: one throwaway cluster per test process, started on first use in a
 * temp folder on a free loopback port, stopped and removed when the process exits. Tests get a
 * fresh database each from it. RAILBOOK_TEST_POSTGRES_URL names an existing server to use instead
 * (its user must be allowed to create databases).
 */

const run = promisify(execFile);
const INSTALL = 'install it with `apt-get install postgresql` (Debian/Ubuntu; the tests start their own server from its binaries, none need be running), or set RAILBOOK_TEST_POSTGRES_URL to a server where the tests may create databases';

let server: Promise<string> | undefined;
let databases = 0;

/** The URL of the test server (its `postgres` database), starting the cluster on first call. */
export function postgresUrl(): Promise<string> {
  const given = process.env.RAILBOOK_TEST_POSTGRES_URL;
  server ??= given ? Promise.resolve(given) : startCluster();
  return server;
}

/** A new, empty database on the test server, and how to drop it. */
export async function freshDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const serverUrl = await postgresUrl();
  const name = `railbook_test_${process.pid}_${++databases}_${randomBytes(3).toString('hex')}`;
  await admin(serverUrl, `CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  // FORCE: a test that failed half-way may have left connections open.
  return { url: url.toString(), drop: () => admin(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

async function admin(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function startCluster(): Promise<string> {
  const bin = binDir();
  // initdb refuses to run as root: the cluster then belongs to the postgres user.
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? postgresUser() : undefined;
  const as = (cmd: string, args: string[]): [string, string[]] => (asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]);

  const base = mkdtempSync(path.join(tmpdir(), 'railbook-pg-'));
  if (owner) chownSync(base, owner.uid, owner.gid);
  const data = path.join(base, 'data');
  const log = path.join(base, 'server.log');
  const pgCtl = path.join(bin, 'pg_ctl');
  stopOnExit(as, pgCtl, data, base);

  try {
    await run(...as(path.join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync']));
  } catch (e) {
    throw new Error(`initdb failed: ${output(e)}`);
  }
  // Another process may take the free port before the server binds it: then try another.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    // Durability is not what these tests check: skip the fsyncs.
    const options = `-p ${port} -c listen_addresses=127.0.0.1 -k ${base} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=500`;
    try {
      await run(...as(pgCtl, ['-D', data, '-l', log, '-o', options, '-w', '-t', '60', 'start']));
      return `postgres://postgres@127.0.0.1:${port}/postgres`;
    } catch (e) {
      if (attempt === 3) throw new Error(`the test PostgreSQL did not start: ${output(e)}\n${existsSync(log) ? readFileSync(log, 'utf8') : ''}`);
    }
  }
}

/** PostgreSQL's programs: Debian's versioned folder (15 first), or whatever is on PATH (a Nix shell). */
function binDir(): string {
  const debian = '/usr/lib/postgresql';
  const versions = existsSync(debian) ? readdirSync(debian).sort((a, b) => Number(b) - Number(a)) : [];
  const candidates = [path.join(debian, '15', 'bin'), ...versions.map((v) => path.join(debian, v, 'bin')), ...(process.env.PATH ?? '').split(path.delimiter)];
  const found = candidates.find((dir) => dir && existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'pg_ctl')));
  if (!found) throw new Error(`PostgreSQL is not installed (no initdb and pg_ctl in /usr/lib/postgresql/*/bin or on PATH): ${INSTALL}`);
  return found;
}

function postgresUser(): { uid: number; gid: number } {
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error(`running as root, the test PostgreSQL must run as the "postgres" user, and there is none: ${INSTALL}`);
  }
}

/**
 * The cluster goes when this process does: stopped on a normal exit, and by a detached watchdog
 * if the process is killed (a test runner's timeout) and never runs its exit handlers.
 */
function stopOnExit(as: (cmd: string, args: string[]) => [string, string[]], pgCtl: string, data: string, base: string): void {
  const stop = as(pgCtl, ['-D', data, '-m', 'immediate', 'stop']);
  process.on('exit', () => {
    if (existsSync(path.join(data, 'postmaster.pid'))) spawnSync(stop[0], stop[1], { stdio: 'ignore' });
    rmSync(base, { recursive: true, force: true });
  });
  const watchdog = 'while kill -0 "$1" 2>/dev/null; do sleep 1; done; shift; base="$1"; shift; "$@" >/dev/null 2>&1; rm -rf "$base"';
  spawn('sh', ['-c', watchdog, 'railbook-pg-watchdog', String(process.pid), base, stop[0], ...stop[1]], { detached: true, stdio: 'ignore' }).unref();
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

function output(e: unknown): string {
  const { stderr, stdout, message } = e as { stderr?: string; stdout?: string; message?: string };
  return [message, stderr, stdout].filter(Boolean).join('\n');
}
