/** The tables of a crawl's SQLite file (crawl-store.ts reads and writes them). */
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS urls (
  id INTEGER PRIMARY KEY,
  url TEXT NOT NULL UNIQUE,
  host TEXT NOT NULL,
  depth INTEGER NOT NULL,
  state TEXT NOT NULL DEFAULT 'queued',
  reason TEXT,
  -- How it came in: seed, sitemap or link (orphans are sitemap URLs no page links to).
  source TEXT NOT NULL DEFAULT 'link'
);
CREATE INDEX IF NOT EXISTS urls_queue ON urls(state, host, id);
CREATE TABLE IF NOT EXISTS pages (
  url_id INTEGER PRIMARY KEY REFERENCES urls(id),
  status INTEGER NOT NULL,
  final_url TEXT NOT NULL,
  content_type TEXT,
  bytes INTEGER NOT NULL,
  error TEXT,
  fetched_at INTEGER NOT NULL,
  record TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS blobs (
  hash TEXT PRIMARY KEY,
  encoding TEXT NOT NULL,
  size INTEGER NOT NULL,
  data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS bodies (
  url_id INTEGER PRIMARY KEY REFERENCES urls(id),
  hash TEXT NOT NULL REFERENCES blobs(hash)
);
CREATE TABLE IF NOT EXISTS rendered (
  url_id INTEGER PRIMARY KEY REFERENCES urls(id),
  hash TEXT NOT NULL REFERENCES blobs(hash),
  ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS space_counts (
  key TEXT PRIMARY KEY,
  n INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`;
