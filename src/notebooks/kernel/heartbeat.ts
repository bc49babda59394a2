// The heartbeat channel: the kernel echoes whatever it is sent on a REQ/REP pair, from a thread
// of its own, so it answers even while a cell is busy. No answer in time means hung or gone.
import { Request } from 'zeromq';
import { endpoint, type ConnectionInfo } from './connection-file.ts';

export async function heartbeat(info: ConnectionInfo, timeoutMs: number): Promise<boolean> {
  // A fresh socket per check: a REQ socket that missed its reply is stuck and cannot send again.
  const socket = new Request({ linger: 0, receiveTimeout: timeoutMs, sendTimeout: timeoutMs });
  try {
    socket.connect(endpoint(info, info.hb_port));
    const ping = Buffer.from(`ping-${Date.now()}`);
    await socket.send(ping);
    const [pong] = await socket.receive();
    return pong !== undefined && pong.equals(ping);
  } catch {
    return false;
  } finally {
    socket.close();
  }
}
