// The Jupyter messaging protocol's wire format (v5.3): a multipart ZeroMQ message of routing ids,
// the `<IDS|MSG>` delimiter, an HMAC-SHA256 signature (hex) over the next four frames, then the
// JSON header, parent header, metadata and content, then any binary buffers.
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';

export const PROTOCOL_VERSION = '5.3';
const DELIMITER = '<IDS|MSG>';

export interface MessageHeader {
  msg_id: string;
  session: string;
  username: string;
  date: string;
  msg_type: string;
  version: string;
}

export interface JupyterMessage<C = Record<string, unknown>> {
  header: MessageHeader;
  /** Empty object when the message answers nothing. */
  parent_header: Partial<MessageHeader>;
  metadata: Record<string, unknown>;
  content: C;
  buffers: Buffer[];
}

/** A message whose signature does not match the connection key: never acted upon. */
export class BadSignatureError extends Error {
  constructor(detail: string) {
    super(`rejected a kernel message with a bad signature (${detail})`);
    this.name = 'BadSignatureError';
  }
}

/** Signs and checks messages for one connection (one key, one client session id). */
export class MessageCodec {
  readonly session = randomUUID();

  constructor(
    private readonly key: string,
    private readonly username = 'railbook',
  ) {}

  /** A new message of `msgType`, optionally answering `parent`. */
  create<C extends object>(msgType: string, content: C, parent?: MessageHeader): JupyterMessage<C> {
    return {
      header: {
        msg_id: randomUUID(),
        session: this.session,
        username: this.username,
        date: new Date().toISOString(),
        msg_type: msgType,
        version: PROTOCOL_VERSION,
      },
      parent_header: parent ?? {},
      metadata: {},
      content,
      buffers: [],
    };
  }

  /** The frames to send (a DEALER socket adds no routing ids of its own). */
  encode(msg: JupyterMessage<object>): Buffer[] {
    const parts = [msg.header, msg.parent_header, msg.metadata, msg.content].map((p) => Buffer.from(JSON.stringify(p)));
    return [Buffer.from(DELIMITER), Buffer.from(this.sign(parts)), ...parts, ...msg.buffers];
  }

  /** Parses received frames; throws BadSignatureError or Error for anything not a valid message. */
  decode(frames: Buffer[]): JupyterMessage {
    const at = frames.findIndex((f) => f.length === DELIMITER.length && f.toString() === DELIMITER);
    if (at < 0 || frames.length < at + 6) throw new Error('malformed kernel message: no <IDS|MSG> delimiter or too few frames');
    const signature = frames[at + 1]!;
    const parts = frames.slice(at + 2, at + 6);
    if (this.key) {
      const expected = Buffer.from(this.sign(parts));
      if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
        throw new BadSignatureError(signature.length === 0 ? 'unsigned' : 'signature mismatch');
      }
    }
    const [header, parent, metadata, content] = parts.map((p) => JSON.parse(p.toString('utf8')) as unknown);
    if (!header || typeof header !== 'object' || typeof (header as MessageHeader).msg_type !== 'string') {
      throw new Error('malformed kernel message: header has no msg_type');
    }
    return {
      header: header as MessageHeader,
      parent_header: (parent ?? {}) as Partial<MessageHeader>,
      metadata: (metadata ?? {}) as Record<string, unknown>,
      content: (content ?? {}) as Record<string, unknown>,
      buffers: frames.slice(at + 6),
    };
  }

  /** Hex HMAC-SHA256 of the four JSON frames; an empty key means signing is off (as in Jupyter). */
  private sign(parts: Buffer[]): string {
    if (!this.key) return '';
    const hmac = createHmac('sha256', this.key);
    for (const p of parts) hmac.update(p);
    return hmac.digest('hex');
  }
}
