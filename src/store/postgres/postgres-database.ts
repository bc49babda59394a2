import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import { NestedTransactionError, type SqlDatabase, type SqlSession } from '../sql.ts';
import { POSTGRES_MIGRATIONS, POSTGRES_SCHEMA_VERSION } from './migrations.ts';

/** Anything that runs a query: the pool (one statement, any client) or one checked-out client. */
type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * COUNT, BIGINT ids and the lease clock come back as JS numbers, as on SQLite (pg's default is a
 * string, for values past 2^53 that Railbook never stores). Set per pool, not on the global
 * `pg.types`, so other users of pg in the process keep its defaults.
 */
const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    format !== 'binary' && (oid === INT8_OID || oid === NUMERIC_OID)
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

/** How long opening waits for the server before saying it cannot reach it. */
const CONNECT_TIMEOUT_MS = 10_000;
/** The advisory lock that lets only one process migrate at a time. */
const MIGRATION_LOCK = 'railbook:migrate';
const ENDED = 'this transaction has ended; its session cannot be used any more';

/**
 * The shared backend: a PostgreSQL database reached through a pool of connections, so several
 * processes (servers, CLIs, workers on other machines) can use one store. A transaction runs on
 * one pooled client at READ COMMITTED; writers that read-modify-write serialise on row locks
 * (`FOR UPDATE`) or on `lock(name)` for rows that do not exist yet.
 */
export class PostgresDatabase implements SqlDatabase {
  readonly dialect = 'postgres' as const;
  /** The transaction whose body is running, so a direct call from inside it is refused (see `guard`). */
  private readonly inside = new AsyncLocalStorage<PgTxSession>();
  /** Calls and transactions in flight, so close() ends the pool only after they are done. */
  private readonly running = new Set<Promise<unknown>>();
  private ending: Promise<void> | undefined;
  private readonly numbered = placeholderCache();

  private constructor(private readonly pool: pg.Pool) {}

  /**
   * Connects to `url` (postgres://user:password@host:port/database), brings its schema up to
   * date and returns the database with a pool of at most `max` connections.
   */
  static async open(url: string, opts: { max?: number } = {}): Promise<PostgresDatabase> {
    const shown = checkUrl(url);
    const client = new pg.Client({ connectionString: url, types: TYPES, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
    // A connection lost mid-migration fails the query in progress; without a listener it would also crash the process.
    client.on('error', () => {});
    try {
      await client.connect();
    } catch (e) {
      await client.end().catch(() => {});
      throw new Error(`cannot connect to PostgreSQL at ${shown}: ${scrub(reasonOf(e), url)}`);
    }
    try {
      await migrate(client);
    } catch (e) {
      const reason = scrub(reasonOf(e), url);
      throw new Error(reason.includes('newer Railbook') ? `PostgreSQL at ${shown}: ${reason}` : `cannot migrate the PostgreSQL database at ${shown}: ${reason}`);
    } finally {
      await client.end().catch(() => {});
    }
    const pool = new pg.Pool({ connectionString: url, types: TYPES, max: opts.max ?? 10, keepAlive: true });
    // An idle client whose connection drops (server restart, network) is dropped by the pool and
    // replaced on next use; the event must have a listener or it would end the process.
    const db = new PostgresDatabase(pool);
    pool.on('error', (e) => {
      // After close() the pool's last sockets may still report their end: that is not news.
      if (db.closed) return;
      console.error(`railbook: a PostgreSQL connection to ${shown} was lost (${scrub(reasonOf(e), url)}); it will be replaced`);
    });
    return db;
  }

  get closed(): boolean {
    return this.ending !== undefined;
  }

  all<T>(text: string, args: readonly unknown[] = []): Promise<T[]> {
    return this.direct(async () => (await query<T>(this.pool, this.numbered(text), args)).rows);
  }

  get<T>(text: string, args: readonly unknown[] = []): Promise<T | undefined> {
    return this.direct(async () => (await query<T>(this.pool, this.numbered(text), args)).rows[0]);
  }

  run(text: string, args: readonly unknown[] = []): Promise<number> {
    return this.direct(async () => (await query(this.pool, this.numbered(text), args)).rowCount ?? 0);
  }

  lock(_name: string): Promise<void> {
    return Promise.reject(new Error('lock() is only meaningful inside a transaction'));
  }

  tx<T>(fn: (s: SqlSession) => Promise<T>): Promise<T> {
    return this.direct(() => this.transaction(fn));
  }

  schemaVersion(): Promise<number> {
    return this.direct(async () => readVersion(this.pool));
  }

  /** Refuses new work, waits for what is in flight (running transactions included), then ends the pool. */
  close(): Promise<void> {
    this.ending ??= (async () => {
      while (this.running.size) await Promise.allSettled([...this.running]);
      await this.pool.end();
    })();
    return this.ending;
  }

  /**
   * Starts a call on the pool, unless the database is closed or the caller is inside one of its
   * transactions: that transaction holds a pooled client until it ends, so waiting for another
   * could wait forever once the pool is exhausted, and the call would not see the transaction's
   * uncommitted writes anyway.
   */
  private direct<T>(op: () => Promise<T>): Promise<T> {
    if (this.ending) return Promise.reject(new Error('the PostgreSQL database is closed'));
    const tx = this.inside.getStore();
    if (tx && !tx.ended) return Promise.reject(new NestedTransactionError());
    const work = op();
    this.running.add(work);
    const forget = () => { this.running.delete(work); };
    work.then(forget, forget);
    return work;
  }

  private async transaction<T>(fn: (s: SqlSession) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    // Set when the connection itself failed: the client is then destroyed, not returned to the pool.
    let broken: Error | undefined;
    const onError = (e: Error) => { broken ??= e; };
    client.on('error', onError);
    const session = new PgTxSession(client, this.numbered);
    try {
      await client.query('BEGIN').catch((e: Error) => { broken ??= e; throw e; });
      let out: T;
      try {
        out = await this.inside.run(session, () => fn(session));
      } catch (e) {
        await client.query('ROLLBACK').catch((re: Error) => { broken ??= re; });
        throw e;
      }
      const done = await client.query('COMMIT').catch((e: Error) => { broken ??= e; throw e; });
      // A statement inside failed (and was caught there): PostgreSQL then rolls the whole
      // transaction back on COMMIT instead of committing the part that succeeded.
      if (done.command === 'ROLLBACK') throw new Error('the transaction was rolled back: a statement inside it failed');
      return out;
    } finally {
      session.ended = true;
      client.off('error', onError);
      client.release(broken);
    }
  }
}

/** The session a transaction's body works through: every statement on the transaction's client. */
class PgTxSession implements SqlSession {
  readonly dialect = 'postgres' as const;
  ended = false;

  constructor(private readonly client: pg.PoolClient, private readonly numbered: (sql: string) => string) {}

  async all<T>(text: string, args: readonly unknown[] = []): Promise<T[]> {
    return (await this.query<T>(text, args)).rows;
  }

  async get<T>(text: string, args: readonly unknown[] = []): Promise<T | undefined> {
    return (await this.query<T>(text, args)).rows[0];
  }

  async run(text: string, args: readonly unknown[] = []): Promise<number> {
    return (await this.query(text, args)).rowCount ?? 0;
  }

  /** Held until the transaction ends; names are hashed to the 64-bit keys advisory locks take. */
  async lock(name: string): Promise<void> {
    await this.query('SELECT pg_advisory_xact_lock(hashtextextended(?, 0))', [name]);
  }

  private query<T>(text: string, args: readonly unknown[]): Promise<pg.QueryResult<T & pg.QueryResultRow>> {
    if (this.ended) return Promise.reject(new Error(ENDED));
    return query<T>(this.client, this.numbered(text), args);
  }
}

function query<T>(on: Queryable, text: string, args: readonly unknown[]): Promise<pg.QueryResult<T & pg.QueryResultRow>> {
  return on.query<T & pg.QueryResultRow>({ text, values: [...args] });
}

async function readVersion(on: Queryable): Promise<number> {
  const row = (await on.query<{ version: number }>('SELECT version FROM railbook_schema')).rows[0];
  return row?.version ?? 0;
}

/**
 * Brings the schema up to date in one transaction. The advisory lock makes a second process that
 * opens the database at the same moment wait, then find the work done.
 */
async function migrate(client: pg.Client): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS railbook_schema (version INTEGER NOT NULL)');
    // At most one row: an index on a constant.
    await client.query('CREATE UNIQUE INDEX IF NOT EXISTS railbook_schema_one_row ON railbook_schema ((true))');
    const rows = (await client.query<{ version: number }>('SELECT version FROM railbook_schema')).rows;
    if (rows.length === 0) await client.query('INSERT INTO railbook_schema (version) VALUES (0)');
    const current = rows[0]?.version ?? 0;
    if (current > POSTGRES_SCHEMA_VERSION) {
      throw new Error(`the database was written by a newer Railbook (schema ${current}; this one knows ${POSTGRES_SCHEMA_VERSION}); upgrade Railbook`);
    }
    for (let v = current; v < POSTGRES_SCHEMA_VERSION; v++) {
      await client.query(POSTGRES_MIGRATIONS[v]!);
      await client.query('UPDATE railbook_schema SET version = $1', [v + 1]);
    }
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  }
}

/** The repositories write `?`; PostgreSQL numbers its parameters. Converted once per SQL text. */
function placeholderCache(): (sql: string) => string {
  const cache = new Map<string, string>();
  return (sql) => {
    let out = cache.get(sql);
    if (out === undefined) {
      out = numberPlaceholders(sql);
      cache.set(sql, out);
    }
    return out;
  };
}

/**
 * `?` → `$1…$n`, leaving alone a `?` inside a string literal, a quoted identifier or a comment.
 * (Backslash escapes in E'…' strings and dollar quoting are not used by the repositories.)
 */
export function numberPlaceholders(sql: string): string {
  let out = '';
  let n = 0;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    let end = i + 1;
    if (c === "'" || c === '"') {
      end = closingQuote(sql, i, c);
    } else if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      end = nl === -1 ? sql.length : nl;
    } else if (c === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      end = close === -1 ? sql.length : close + 2;
    } else if (c === '?') {
      out += `$${++n}`;
      i = end;
      continue;
    }
    out += sql.slice(i, end);
    i = end;
  }
  return out;
}

/** The index just past the quote closing the one at `start` (a doubled quote is an escaped one). */
function closingQuote(sql: string, start: number, q: string): number {
  let i = start + 1;
  for (;;) {
    const k = sql.indexOf(q, i);
    if (k === -1) return sql.length;
    if (sql[k + 1] !== q) return k + 1;
    i = k + 2;
  }
}

/** `url` with its password (in the user part or a `password=` parameter) replaced by `***`, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    if (u.searchParams.has('password')) u.searchParams.set('password', '***');
    return u.toString();
  } catch {
    return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/:@]*:)[^/]*@/i, '$1***@').replace(/(password=)[^&\s]*/gi, '$1***');
  }
}

/** Refuses what is not a postgres:// URL before pg sees it; returns the URL to show in messages. */
function checkUrl(url: string): string {
  const shown = redactUrl(url);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    // Not the URL's own error: Node's keeps the whole input, password included.
    throw new Error(`invalid PostgreSQL URL ${shown}: expected postgres://user:password@host:port/database`);
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    throw new Error(`invalid PostgreSQL URL ${shown}: it must start with postgres:// or postgresql://`);
  }
  return shown;
}

/** Removes the URL's password from a message, should a driver ever echo it. */
function scrub(message: string, url: string): string {
  const secrets = new Set<string>();
  try {
    const u = new URL(url);
    for (const s of [u.password, u.searchParams.get('password') ?? '']) {
      if (!s) continue;
      secrets.add(s);
      try { secrets.add(decodeURIComponent(s)); } catch { /* not percent-encoded */ }
    }
  } catch { /* checkUrl already refused it */ }
  let out = message;
  // Very short passwords would turn every message into asterisks; those are not worth hiding.
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('***');
  return out;
}

/** A readable reason: Node reports a refused "localhost" (IPv4 and IPv6) as an AggregateError with no message. */
function reasonOf(e: unknown): string {
  if (e instanceof AggregateError && e.errors.length) return [...new Set(e.errors.map(reasonOf))].join('; ');
  if (e instanceof Error) return e.message || (e as NodeJS.ErrnoException).code || e.name;
  return String(e);
}
