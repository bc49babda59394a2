import type { Db } from './sqlite-file.ts';
import type { Statement } from 'better-sqlite3';

/**
 * Prepares each SQL text once per connection. better-sqlite3's prepare parses and plans the
 * statement every time; on the hot path (every step submit) that was the largest single cost.
 */
export function statementCache(db: Db): (sql: string) => Statement {
  const cache = new Map<string, Statement>();
  return (sql) => {
    let s = cache.get(sql);
    if (!s) {
      s = db.prepare(sql);
      cache.set(sql, s);
    }
    return s;
  };
}
