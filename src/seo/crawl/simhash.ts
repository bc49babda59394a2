/**
 * 64-bit SimHash over word 3-shingles, as 16 hex digits. Pages whose texts share most shingles get
 * fingerprints that differ in few bits, so near-duplicates are found by Hamming distance.
 * The 64 bits are kept as two 32-bit halves: plain numbers are much faster than BigInt here.
 */

const WORD = /[\p{L}\p{N}]+/gu;

/** Lower-case words of a text (letters and digits; punctuation separates). */
export function words(text: string): string[] {
  return text.toLowerCase().match(WORD) ?? [];
}

/** FNV-1a, 32 bits, over UTF-16 code units. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Murmur3's finaliser: spreads every input bit over every output bit. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function rotl(x: number, r: number): number {
  return ((x << r) | (x >>> (32 - r))) >>> 0;
}

function hex32(n: number): string {
  return n.toString(16).padStart(8, '0');
}

/** SimHash of a list of words, shingled by 3 (fewer words: one shingle of all of them). */
export function simhashWords(ws: readonly string[]): string {
  return fromWordHashes(ws.map(fnv1a));
}

const LETTER_OR_DIGIT = /^[\p{L}\p{N}]$/u;

/**
 * SimHash of a text: the same as `simhashWords(words(text))`, in one pass without building the
 * words (this runs on every crawled page). Non-ASCII characters are lower-cased one by one.
 */
export function simhash(text: string): string {
  const hashes: number[] = [];
  let h = 0x811c9dc5;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c < 128) {
      if (c >= 65 && c <= 90) c |= 32;
      else if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57))) {
        if (inWord) {
          hashes.push(h >>> 0);
          h = 0x811c9dc5;
          inWord = false;
        }
        continue;
      }
      h = Math.imul(h ^ c, 0x01000193);
      inWord = true;
      continue;
    }
    let ch = text[i]!;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      ch = text.slice(i, i + 2); // a surrogate pair is one character
      i++;
    }
    if (LETTER_OR_DIGIT.test(ch)) {
      const low = ch.toLowerCase();
      for (let j = 0; j < low.length; j++) h = Math.imul(h ^ low.charCodeAt(j), 0x01000193);
      inWord = true;
    } else if (inWord) {
      hashes.push(h >>> 0);
      h = 0x811c9dc5;
      inWord = false;
    }
  }
  if (inWord) hashes.push(h >>> 0);
  return fromWordHashes(hashes);
}

function fromWordHashes(hashes: readonly number[]): string {
  const n = hashes.length;
  if (n === 0) return '0'.repeat(16);
  // Bit counts per position, in nibble-packed accumulators: a0 holds bits 0, 4, 8… of the high
  // half, a1 bits 1, 5, 9…, and so on; each nibble counts to 15, then they are added into
  // `ones`. Eight additions per shingle instead of a loop over 64 bits. (Plain locals, no closure
  // over them: captured variables would live in a context, not in registers — 2× slower.)
  const ones = new Int32Array(64);
  const shingles = Math.max(1, n - 2);
  const M = 0x11111111;
  for (let start = 0; start < shingles; start += 15) {
    const end = Math.min(shingles, start + 15);
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
    for (let i = start; i < end; i++) {
      // Order matters in a shingle, hence the rotations.
      const h1 = i + 1 < n ? hashes[i + 1]! : 0x1234567;
      const h2 = i + 2 < n ? hashes[i + 2]! : 0x7654321;
      const s = Math.imul(hashes[i]!, 0x9e3779b1) ^ rotl(h1, 11) ^ rotl(h2, 22);
      const x = fmix(s ^ 0x5bd1e995);
      const y = fmix(s);
      a0 += x & M;
      a1 += (x >>> 1) & M;
      a2 += (x >>> 2) & M;
      a3 += (x >>> 3) & M;
      b0 += y & M;
      b1 += (y >>> 1) & M;
      b2 += (y >>> 2) & M;
      b3 += (y >>> 3) & M;
    }
    for (let sh = 0; sh < 32; sh += 4) {
      ones[sh]! += (a0 >>> sh) & 15;
      ones[sh + 1]! += (a1 >>> sh) & 15;
      ones[sh + 2]! += (a2 >>> sh) & 15;
      ones[sh + 3]! += (a3 >>> sh) & 15;
      ones[32 + sh]! += (b0 >>> sh) & 15;
      ones[33 + sh]! += (b1 >>> sh) & 15;
      ones[34 + sh]! += (b2 >>> sh) & 15;
      ones[35 + sh]! += (b3 >>> sh) & 15;
    }
  }
  let hi = 0;
  let lo = 0;
  for (let b = 0; b < 32; b++) {
    if (ones[b]! * 2 > shingles) hi |= 1 << b;
    if (ones[b + 32]! * 2 > shingles) lo |= 1 << b;
  }
  return hex32(hi >>> 0) + hex32(lo >>> 0);
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** The two 32-bit halves of a 16-hex-digit fingerprint. */
export function halves(h: string): [number, number] {
  if (!/^[0-9a-f]{16}$/i.test(h)) throw new Error(`not a 64-bit hex simhash: ${JSON.stringify(h)}`);
  return [parseInt(h.slice(0, 8), 16), parseInt(h.slice(8), 16)];
}

/** Number of differing bits between two fingerprints (0…64). */
export function hamming(a: string, b: string): number {
  const [ah, al] = halves(a);
  const [bh, bl] = halves(b);
  return popcount((ah ^ bh) >>> 0) + popcount((al ^ bl) >>> 0);
}

/** Same, on halves already parsed (the findings compare many pairs). */
export function hammingHalves(ah: number, al: number, bh: number, bl: number): number {
  return popcount((ah ^ bh) >>> 0) + popcount((al ^ bl) >>> 0);
}
