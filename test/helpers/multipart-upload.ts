// Multipart uploads as a browser sends them, but generated as a stream: a test can send a 1 GB
// file without ever holding 1 GB (nor even 2 MB) in memory, and knows the SHA-256 of what it sent.
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';

export type Part =
  | { name: string; value: string }
  /** A file of `size` bytes, produced in chunks by the sender (deterministic, not all zeros). */
  | { name: string; filename: string; type?: string; size: number };

export interface UploadAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** SHA-256 of each file part as sent, by field name. */
  sent: Record<string, string>;
  /** True when the server closed the connection before the whole body was sent. */
  cutOff: boolean;
}

const CHUNK = 1024 * 1024;

/**
 * POSTs the parts as multipart/form-data, writing with back-pressure. `chunked` leaves out the
 * Content-Length; `headers` adds or overrides (e.g. Origin, X-CSRF-Token).
 */
export function postMultipart(url: string, parts: Part[], opts: { headers?: Record<string, string>; chunked?: boolean } = {}): Promise<UploadAnswer> {
  const boundary = `----railbook${randomBytes(8).toString('hex')}`;
  const heads = parts.map((p) =>
    'filename' in p
      ? `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"; filename="${p.filename}"\r\nContent-Type: ${p.type ?? 'application/octet-stream'}\r\n\r\n`
      : `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"\r\n\r\n`,
  );
  const tail = `--${boundary}--\r\n`;
  let length = Buffer.byteLength(tail);
  parts.forEach((p, i) => { length += Buffer.byteLength(heads[i]!) + ('filename' in p ? p.size : Buffer.byteLength(p.value)) + 2; });

  const sent: Record<string, string> = {};
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    let cutOff = false;
    const req = request({
      host: u.hostname, port: u.port, path: u.pathname + u.search, method: 'POST', agent: false,
      headers: {
        'Content-Type': `multipart/form-data; boundary=${boundary}`,
        ...(opts.chunked ? { 'Transfer-Encoding': 'chunked' } : { 'Content-Length': String(length) }),
        ...opts.headers,
      },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8'), sent, cutOff }));
      res.on('error', reject);
    });
    // A server that answers early and closes (413) makes further writes fail: that is expected.
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE' || e.code === 'ECONNRESET') cutOff = true;
      else reject(e);
    });

    async function* body(): AsyncGenerator<Buffer> {
      for (const [i, p] of parts.entries()) {
        yield Buffer.from(heads[i]!);
        if ('filename' in p) {
          const hash = createHash('sha256');
          const block = Buffer.alloc(CHUNK);
          for (let off = 0; off < p.size; off += CHUNK) {
            const n = Math.min(CHUNK, p.size - off);
            // Cheap, varying content: the block index stamped over a fixed pattern.
            block.fill(off / CHUNK % 251);
            block.writeUInt32BE(off / CHUNK, 0);
            const piece = Buffer.from(block.subarray(0, n));
            hash.update(piece);
            yield piece;
          }
          sent[p.name] = hash.digest('hex');
        } else {
          yield Buffer.from(p.value);
        }
        yield Buffer.from('\r\n');
      }
      yield Buffer.from(tail);
    }

    void (async () => {
      for await (const piece of body()) {
        if (cutOff || req.destroyed) return;
        if (!req.write(piece)) {
          await new Promise<void>((r) => {
            const done = () => { req.off('drain', done); req.off('close', done); r(); };
            req.once('drain', done);
            req.once('close', done);
          });
        }
      }
      if (!cutOff && !req.destroyed) req.end();
    })();
  });
}
