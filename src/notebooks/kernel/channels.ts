// The ZeroMQ sockets of one kernel connection: shell and control (DEALER, request/reply), iopub
// (SUB, everything the kernel publishes). Each socket gets one receive loop that hands decoded
// messages on; sends are queued because a zeromq.js socket allows one send in flight at a time.
import { Dealer, Subscriber, type Socket } from 'zeromq';
import { endpoint, type ConnectionInfo } from './connection-file.ts';
import { BadSignatureError, MessageCodec, type JupyterMessage } from './wire.ts';

export type Channel = 'shell' | 'control' | 'iopub';

export interface ChannelEvents {
  onMessage(channel: Channel, msg: JupyterMessage): void;
  /** A message that was dropped (bad signature, malformed): worth a log line, never acted upon. */
  onRejected(channel: Channel, err: Error): void;
}

export class Channels {
  readonly codec: MessageCodec;
  private readonly shell = new Dealer({ linger: 0 });
  private readonly control = new Dealer({ linger: 0 });
  private readonly iopub = new Subscriber({ linger: 0 });
  private readonly sendQueues = new Map<Channel, Promise<unknown>>();
  private closed = false;

  constructor(
    info: ConnectionInfo,
    private readonly events: ChannelEvents,
  ) {
    this.codec = new MessageCodec(info.key);
    this.shell.connect(endpoint(info, info.shell_port));
    this.control.connect(endpoint(info, info.control_port));
    this.iopub.connect(endpoint(info, info.iopub_port));
    this.iopub.subscribe();
    void this.loop('shell', this.shell);
    void this.loop('control', this.control);
    void this.loop('iopub', this.iopub);
  }

  /** Sends on shell or control, in call order. */
  send(channel: 'shell' | 'control', msg: JupyterMessage<object>): Promise<void> {
    const socket = channel === 'shell' ? this.shell : this.control;
    const frames = this.codec.encode(msg);
    const previous = this.sendQueues.get(channel) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => socket.send(frames));
    this.sendQueues.set(channel, next);
    return next;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of [this.shell, this.control, this.iopub]) s.close();
  }

  private async loop(channel: Channel, socket: Socket & AsyncIterable<Buffer[]>): Promise<void> {
    try {
      for await (const frames of socket) {
        let msg: JupyterMessage;
        try {
          msg = this.codec.decode(frames);
        } catch (err) {
          this.events.onRejected(channel, err instanceof BadSignatureError ? err : new Error((err as Error).message));
          continue;
        }
        this.events.onMessage(channel, msg);
      }
    } catch (err) {
      // Closing a socket ends its loop with an error; anything else is reported, not thrown.
      if (!this.closed) this.events.onRejected(channel, err as Error);
    }
  }
}
