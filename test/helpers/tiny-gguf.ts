/**
 * A tiny, valid GGUF (v3) llama model written by the tests themselves: model weights cannot be
 * downloaded here, and what the tests need is llama.cpp's real loading, tokenizing, generating,
 * streaming and embedding path, not sensible text. The weights are random (deterministic from a
 * seed), so the model writes gibberish.
 *
 * Layout (ggml's docs/gguf.md): header (magic, version 3, tensor count, metadata count), the
 * metadata key/values, the tensor infos, padding to `general.alignment` (32), then each tensor's
 * data at an aligned offset. Tensors are F32; ggml lists dimensions fastest-first, so a matrix
 * that maps `a` inputs to `b` outputs is [a, b].
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { mulberry32 } from './seeded-random.ts';

export interface TinyGgufOptions {
  /** Embedding size (also the size of the vectors `embed` returns); a multiple of 16. Default 64. */
  dim?: number | undefined;
  layers?: number | undefined;
  /** Vocabulary size, at least 259 (3 special tokens and 256 byte tokens) plus the text pieces. Default 370. */
  vocab?: number | undefined;
  seed?: number | undefined;
  /** Training context length written in the metadata. Default 2048. */
  contextLength?: number | undefined;
  /** `general.name`. Default "railbook-tiny". */
  name?: string | undefined;
  /**
   * A piece of text added to the vocabulary as one token that the model then writes every time it
   * is allowed to (its layers are zeroed and its output strongly prefers that token). With
   * "||call:", node-llama-cpp's Llama 2 chat format for a function call, the model calls a
   * function as soon as it answers, and the call's grammar writes the rest.
   */
  favourite?: string | undefined;
}

const ALIGNMENT = 32;
const HEAD_DIM = 16;

// GGUF metadata value types.
const T_UINT32 = 4;
const T_INT32 = 5;
const T_FLOAT32 = 6;
const T_STRING = 8;
const T_ARRAY = 9;
// ggml tensor type.
const GGML_F32 = 0;

// llama.cpp's token types (llama_token_type).
const TOKEN_NORMAL = 1;
const TOKEN_UNKNOWN = 2;
const TOKEN_CONTROL = 3;
const TOKEN_BYTE = 6;

/** SentencePiece's word-boundary mark: "▁the" is " the". */
const SPACE = '\u2581';

/**
 * Pieces for ordinary text, so text is not all spelled out in bytes. SentencePiece builds a token
 * by merging two existing ones, so every piece here is a letter or "▁" plus one; two-letter pieces
 * fill the vocabulary up to its size.
 */
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const PIECES = [
  ...(LETTERS + LETTERS.toUpperCase() + '0123456789.,:;!?\'"()[]{}<>-_/*#=+|&@').split(''),
  SPACE,
  ...LETTERS.split('').map((l) => SPACE + l),
];

type Kv = { key: string; type: number; write: (w: Writer) => void };

export function writeTinyGguf(file: string, opts: TinyGgufOptions = {}): void {
  const dim = opts.dim ?? 64;
  const layers = opts.layers ?? 2;
  const seed = opts.seed ?? 1;
  const contextLength = opts.contextLength ?? 2048;
  if (dim % HEAD_DIM !== 0 || dim <= 0) throw new Error(`dim must be a positive multiple of ${HEAD_DIM}, not ${dim}`);
  const heads = dim / HEAD_DIM;
  const ff = dim * 2;

  const { tokens, scores, types } = vocabulary(opts.vocab ?? 370, opts.favourite);
  const vocab = tokens.length;
  const favourite = opts.favourite === undefined ? -1 : tokens.length - 1;

  const kvs: Kv[] = [
    str('general.architecture', 'llama'),
    str('general.name', opts.name ?? 'railbook-tiny'),
    u32('general.alignment', ALIGNMENT),
    u32('llama.context_length', contextLength),
    u32('llama.embedding_length', dim),
    u32('llama.block_count', layers),
    u32('llama.feed_forward_length', ff),
    u32('llama.attention.head_count', heads),
    u32('llama.attention.head_count_kv', heads),
    u32('llama.rope.dimension_count', HEAD_DIM),
    f32('llama.attention.layer_norm_rms_epsilon', 1e-5),
    u32('llama.vocab_size', vocab),
    str('tokenizer.ggml.model', 'llama'),
    arr('tokenizer.ggml.tokens', T_STRING, tokens.length, (w) => tokens.forEach((t) => w.string(t))),
    arr('tokenizer.ggml.scores', T_FLOAT32, scores.length, (w) => scores.forEach((s) => w.f32(s))),
    arr('tokenizer.ggml.token_type', T_INT32, types.length, (w) => types.forEach((t) => w.i32(t))),
    u32('tokenizer.ggml.unknown_token_id', 0),
    u32('tokenizer.ggml.bos_token_id', 1),
    u32('tokenizer.ggml.eos_token_id', 2),
  ];

  // Each tensor: its name, its dimensions (fastest first), and how its values are made.
  const rand = mulberry32(seed);
  const tensors: { name: string; dims: number[]; fill: (i: number) => number }[] = [];
  // With a favourite, the layers add nothing: each position's state is its token's embedding.
  const matrix = (name: string, inputs: number, outputs: number) => {
    const scale = 1 / Math.sqrt(inputs);
    tensors.push({ name, dims: [inputs, outputs], fill: () => (favourite < 0 ? (rand() * 2 - 1) * scale : 0) });
  };
  const norm = (name: string) => tensors.push({ name, dims: [dim], fill: () => 1 });
  // With a favourite, every embedding's first component is 1, and the favourite's output row reads
  // only that component, strongly: its logit stays far above the others whatever the token.
  const embedding = (i: number) => (favourite >= 0 && i % dim === 0 ? 1 : rand() * 2 - 1);
  const output = (i: number) => {
    const v = (rand() * 2 - 1) / Math.sqrt(dim);
    if (Math.floor(i / dim) !== favourite) return v;
    return i % dim === 0 ? 100 : 0;
  };
  tensors.push({ name: 'token_embd.weight', dims: [dim, vocab], fill: embedding });
  for (let i = 0; i < layers; i++) {
    norm(`blk.${i}.attn_norm.weight`);
    matrix(`blk.${i}.attn_q.weight`, dim, dim);
    matrix(`blk.${i}.attn_k.weight`, dim, dim);
    matrix(`blk.${i}.attn_v.weight`, dim, dim);
    matrix(`blk.${i}.attn_output.weight`, dim, dim);
    norm(`blk.${i}.ffn_norm.weight`);
    matrix(`blk.${i}.ffn_gate.weight`, dim, ff);
    matrix(`blk.${i}.ffn_up.weight`, dim, ff);
    matrix(`blk.${i}.ffn_down.weight`, ff, dim);
  }
  norm('output_norm.weight');
  tensors.push({ name: 'output.weight', dims: [dim, vocab], fill: output });

  const w = new Writer();
  w.raw(Buffer.from('GGUF', 'latin1'));
  w.u32(3);
  w.u64(tensors.length);
  w.u64(kvs.length);
  for (const kv of kvs) {
    w.string(kv.key);
    w.u32(kv.type);
    kv.write(w);
  }
  let offset = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    w.string(t.name);
    w.u32(t.dims.length);
    for (const d of t.dims) w.u64(d);
    w.u32(GGML_F32);
    w.u64(offset);
    offsets.push(offset);
    offset = align(offset + 4 * count(t.dims));
  }
  w.pad(ALIGNMENT);
  const dataStart = w.length;
  tensors.forEach((t, i) => {
    w.padTo(dataStart + offsets[i]!);
    const values = new Float32Array(count(t.dims));
    for (let j = 0; j < values.length; j++) values[j] = t.fill(j);
    w.raw(Buffer.from(values.buffer));
  });
  w.padTo(dataStart + offset);
  writeFileSync(file, w.done());
}

const cache = new Map<string, string>();
let cacheDir: string | undefined;

/**
 * A tiny model generated once per process for these options (into a temp folder removed when the
 * process exits), so test files share one file and one loaded model.
 */
export function tinyModelFile(opts: TinyGgufOptions = {}): string {
  const key = JSON.stringify([opts.dim ?? 64, opts.layers ?? 2, opts.vocab ?? 370, opts.seed ?? 1, opts.contextLength ?? 2048, opts.name ?? '', opts.favourite ?? '']);
  const known = cache.get(key);
  if (known !== undefined) return known;
  if (cacheDir === undefined) {
    const dir = mkdtempSync(path.join(tmpdir(), 'railbook-gguf-'));
    cacheDir = dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  const file = path.join(cacheDir, `tiny-${cache.size}-d${opts.dim ?? 64}.gguf`);
  writeTinyGguf(file, opts);
  cache.set(key, file);
  return file;
}

/**
 * <unk>, <s>, </s>, the 256 byte tokens llama.cpp falls back to, then text pieces up to `size`
 * (the favourite, if any, last).
 */
function vocabulary(size: number, favourite: string | undefined): { tokens: string[]; scores: number[]; types: number[] } {
  const tokens = ['<unk>', '<s>', '</s>'];
  const types = [TOKEN_UNKNOWN, TOKEN_CONTROL, TOKEN_CONTROL];
  const scores = [0, 0, 0];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(TOKEN_BYTE);
    scores.push(0);
  }
  if (size < tokens.length + 1) throw new Error(`vocab must be more than ${tokens.length}, not ${size}`);
  const seen = new Set<string>();
  const pieces = PIECES.filter((p) => !seen.has(p) && seen.add(p));
  const end = favourite === undefined ? size : size - 1;
  for (let i = 0; tokens.length < end; i++) {
    // Past the listed pieces: two-letter pieces, so any size fits.
    const piece = i < pieces.length ? pieces[i]! : filler(i - pieces.length);
    // SentencePiece prefers higher scores when it merges; longer pieces first.
    tokens.push(piece);
    types.push(TOKEN_NORMAL);
    scores.push(-(tokens.length) + piece.length * 1000);
  }
  if (favourite !== undefined) {
    tokens.push(favourite);
    types.push(TOKEN_NORMAL);
    scores.push(0);
  }
  return { tokens, scores, types };
}

function filler(i: number): string {
  return LETTERS[Math.floor(i / 26) % 26]! + LETTERS[i % 26]! + (i >= 676 ? String(Math.floor(i / 676)) : '');
}

function count(dims: number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

function align(n: number): number {
  return Math.ceil(n / ALIGNMENT) * ALIGNMENT;
}


function str(key: string, value: string): Kv {
  return { key, type: T_STRING, write: (w) => w.string(value) };
}
function u32(key: string, value: number): Kv {
  return { key, type: T_UINT32, write: (w) => w.u32(value) };
}
function f32(key: string, value: number): Kv {
  return { key, type: T_FLOAT32, write: (w) => w.f32(value) };
}
function arr(key: string, itemType: number, length: number, items: (w: Writer) => void): Kv {
  return {
    key,
    type: T_ARRAY,
    write: (w) => {
      w.u32(itemType);
      w.u64(length);
      items(w);
    },
  };
}

/** Little-endian writer into a list of buffers. */
class Writer {
  private parts: Buffer[] = [];
  length = 0;

  raw(b: Buffer): void {
    this.parts.push(b);
    this.length += b.length;
  }
  u32(n: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    this.raw(b);
  }
  i32(n: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32LE(n);
    this.raw(b);
  }
  u64(n: number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(n));
    this.raw(b);
  }
  f32(n: number): void {
    const b = Buffer.alloc(4);
    b.writeFloatLE(n);
    this.raw(b);
  }
  string(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.raw(b);
  }
  pad(to: number): void {
    this.padTo(Math.ceil(this.length / to) * to);
  }
  padTo(at: number): void {
    if (at < this.length) throw new Error('GGUF writer: offset behind the end');
    if (at > this.length) this.raw(Buffer.alloc(at - this.length));
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}
