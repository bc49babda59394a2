// Reading a crawl's SQLite store from a test, read-only, while or after a crawl writes it.
import Database from 'better-sqlite3';

/** The URLs the store has marked done. */
export function doneUrls(storePath: string): string[] {
  const db = new Database(storePath, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare("SELECT url FROM urls WHERE state = 'done'").all() as { url: string }[]).map((r) => r.url);
  } finally {
    db.close();
  }
}
