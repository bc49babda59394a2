// The connection file a kernel is started with: which loopback ports to bind for its five
// channels and the key to sign messages with. Written to a private temp folder (0600), since the
// key is what stops another local user from running code in the kernel.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface ConnectionInfo {
  transport: 'tcp';
  ip: string;
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
  key: string;
  signature_scheme: 'hmac-sha256';
  kernel_name: string;
}

/** Ports the OS says are free right now (the kernel binds them a moment later, as Jupyter does). */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () =>
      new Promise<import('node:net').Server>((resolve, reject) => {
        const server = createServer();
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve(server));
      }),
    ),
  );
  // Held open together so the OS cannot hand the same port out twice.
  const ports = servers.map((s) => (s.address() as import('node:net').AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** Picks ports and a fresh key, writes the file, and returns both (and the folder to remove later). */
export async function writeConnectionFile(kernelName: string): Promise<{ info: ConnectionInfo; file: string; dir: string }> {
  const [shell, iopub, stdin, control, hb] = await freePorts(5);
  const info: ConnectionInfo = {
    transport: 'tcp',
    ip: '127.0.0.1',
    shell_port: shell!,
    iopub_port: iopub!,
    stdin_port: stdin!,
    control_port: control!,
    hb_port: hb!,
    key: randomBytes(32).toString('hex'),
    signature_scheme: 'hmac-sha256',
    kernel_name: kernelName,
  };
  const dir = mkdtempSync(path.join(tmpdir(), 'railbook-kernel-'));
  const file = path.join(dir, 'connection.json');
  writeFileSync(file, JSON.stringify(info, null, 2), { mode: 0o600 });
  return { info, file, dir };
}

export function endpoint(info: ConnectionInfo, port: number): string {
  return `${info.transport}://${info.ip}:${port}`;
}
