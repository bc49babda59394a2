/**
 * Vector memory (RAG) as the rest of Railbook uses it: documents in, top-k cited chunks out, over
 * `<dataDir>/memory.db`. Retrieval always searches the ONE active set and embeds the query with
 * that set's model (`embedderFor(set.model)`), whatever model is configured now — so a query
 * never compares two models' vectors, before, during or after a re-embed.
 */
import type { ChunkOptions } from './chunking.ts';
import { addDocument, listDocuments, removeDocument, type AddResult, type DocumentInput } from './documents.ts';
import { DOCUMENTS_SCHEMA } from './documents-schema.ts';
import { checkVectors, type EmbedderFor } from './embedder.ts';
import { activeSet, buildingSet, chunkCount, getSet, type EmbeddingSet } from './embedding-sets.ts';
import { MemoryDb, type MemoryConnection } from './memory-db.ts';
import { searchVectors, type VectorSearchOptions } from './vector-index.ts';

export interface SearchHit {
  chunkId: number;
  documentId: number;
  source: string;
  title: string;
  /** The chunk's text (cut to EXCERPT_MAX characters). */
  excerpt: string;
  /** Where the chunk is in the document's text. */
  start: number;
  end: number;
  /** Cosine similarity to the query, 1 = same direction. */
  score: number;
  /** The model whose vectors answered. */
  model: string;
}

export type DocumentState =
  | { state: 'embedded'; model: string }
  | { state: 'waiting' };

export interface DocumentListing {
  id: number;
  source: string;
  kind: string;
  title: string;
  addedAt: number;
  chars: number;
  chunks: number;
  /** In the active set (searchable), or waiting for an embedding model. */
  embedding: DocumentState;
  /** When a re-embed is building: whether this document is in the new set yet. */
  rebuilt?: boolean | undefined;
}

export interface MemoryStatus {
  documents: number;
  chunks: number;
  active: EmbeddingSet | undefined;
  building: EmbeddingSet | undefined;
}

export const EXCERPT_MAX = 600;

export interface VectorMemoryOptions {
  /** The embedder of a model (providerEmbedder(provider, model)); needed to search. */
  embedderFor?: EmbedderFor | undefined;
  chunking?: ChunkOptions | undefined;
}

export class VectorMemory {
  private constructor(readonly db: MemoryConnection, private readonly opts: VectorMemoryOptions, private readonly owned: MemoryDb | undefined) {}

  /** Opens `<dataDir>/memory.db` with the documents' schema. */
  static open(dataDir: string, opts: VectorMemoryOptions = {}): VectorMemory {
    const mem = MemoryDb.open(dataDir, [DOCUMENTS_SCHEMA]);
    return new VectorMemory(mem.db, opts, mem);
  }

  /** On a memory file opened by someone else (with DOCUMENTS_SCHEMA among its parts). */
  static on(db: MemoryConnection, opts: VectorMemoryOptions = {}): VectorMemory {
    return new VectorMemory(db, opts, undefined);
  }

  close(): void {
    this.owned?.close();
  }

  /** Stores a document (or replaces its text, or nothing when unchanged). Embedding is separate: see embedPending / runReembed. */
  addDocument(input: DocumentInput): AddResult {
    return addDocument(this.db, input, this.opts.chunking);
  }

  removeDocument(source: string): boolean {
    return removeDocument(this.db, source);
  }

  status(): MemoryStatus {
    const documents = (this.db.prepare('SELECT count(*) AS n FROM documents').get() as { n: number }).n;
    return { documents, chunks: chunkCount(this.db), active: activeSet(this.db), building: buildingSet(this.db) };
  }

  documents(): DocumentListing[] {
    const active = activeSet(this.db);
    const building = buildingSet(this.db);
    return listDocuments(this.db).map((d) => {
      const listing: DocumentListing = {
        id: d.id,
        source: d.source,
        kind: d.kind,
        title: d.title,
        addedAt: d.addedAt,
        chars: d.chars,
        chunks: d.chunks,
        embedding: active && d.lastChunkId <= active.cursor ? { state: 'embedded', model: active.model } : { state: 'waiting' },
      };
      if (building) listing.rebuilt = d.lastChunkId <= building.cursor;
      return listing;
    });
  }

  /**
   * The k chunks nearest to `query` in the active set, nearest first; [] when nothing is
   * embedded yet. If the sets switch while the query is being embedded, it is embedded again
   * with the new set's model.
   */
  async search(query: string, k = 5, opts: VectorSearchOptions & { signal?: AbortSignal | undefined } = {}): Promise<SearchHit[]> {
    const embedderFor = this.opts.embedderFor;
    if (!embedderFor) throw new Error('this memory was opened without an embedder: it cannot search');
    for (let attempt = 0; attempt < 3; attempt++) {
      const set = activeSet(this.db);
      if (!set) return [];
      const embedder = embedderFor(set.model);
      const [vector] = checkVectors(set.model, [query], await embedder.embed([query], opts.signal), set.dims);
      // One read transaction: the set checked and searched in the same snapshot.
      const hits = this.db.transaction(() => {
        const now = getSet(this.db, set.id);
        if (now?.state !== 'active') return undefined;
        const found = searchVectors(this.db, { id: now.id, cursor: now.cursor, generation: now.generation, size: now.done }, vector!, k, opts);
        return this.cite(found.map((h) => ({ ...h })), set.model);
      })();
      if (hits) return hits;
    }
    throw new Error('the embedding sets kept switching while searching; try again');
  }

  private cite(found: { chunkId: number; distance: number }[], model: string): SearchHit[] {
    const get = this.db.prepare(
      `SELECT c.id, c.document_id, c.start, c."end", c.text, d.source, d.title
         FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.id = ?`,
    );
    type Row = { id: number; document_id: number; start: number; end: number; text: string; source: string; title: string };
    const hits: SearchHit[] = [];
    for (const f of found) {
      const r = get.get(f.chunkId) as Row | undefined;
      if (!r) continue;
      const excerpt = r.text.length > EXCERPT_MAX ? `${r.text.slice(0, EXCERPT_MAX)}…` : r.text;
      hits.push({ chunkId: r.id, documentId: r.document_id, source: r.source, title: r.title, excerpt, start: r.start, end: r.end, score: 1 - f.distance, model });
    }
    return hits;
  }
}
