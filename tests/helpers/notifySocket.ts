/**
 * A stand-in for systemd's NOTIFY_SOCKET: a unix datagram socket (node:dgram cannot make one, so
 * a few lines of python3 do) that records every message with the time it arrived. Like PID 1 it
 * reads the file descriptors a sender passes (systemd-notify's BARRIER=1) and closes them at once,
 * which is what releases the sender's wait.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LISTENER = `
import json, os, socket, sys, time, array
path = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
print(json.dumps({"listening": path}), flush=True)
while True:
    data, anc, flags, addr = s.recvmsg(65536, socket.CMSG_SPACE(16 * 4))
    for level, kind, payload in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds = array.array("i")
            fds.frombytes(payload[: len(payload) - (len(payload) % fds.itemsize)])
            for fd in fds:
                os.close(fd)
    print(json.dumps({"at": time.time() * 1000, "message": data.decode()}), flush=True)
`;

export interface NotifyMessage {
  /** Arrival, ms since the epoch. */
  readonly at: number;
  /** The datagram, e.g. `READY=1` or `WATCHDOG=1` (a message may hold several lines). */
  readonly message: string;
}

export interface FakeNotifySocket {
  readonly path: string;
  readonly messages: NotifyMessage[];
  /** The messages, without systemd-notify's BARRIER=1 handshakes. */
  assignments(): NotifyMessage[];
  close(): Promise<void>;
}

export async function startFakeNotifySocket(): Promise<FakeNotifySocket> {
  const dir = await mkdtemp(join(tmpdir(), 'dca-notify-'));
  const path = join(dir, 'notify.sock');
  const child: ChildProcess = spawn('python3', ['-c', LISTENER, path], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const messages: NotifyMessage[] = [];
  await new Promise<void>((resolve, reject) => {
    let partial = '';
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the notify listener exited (${code})`)));
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const parsed = JSON.parse(line) as { listening?: string } & NotifyMessage;
        if (parsed.listening) resolve();
        else messages.push({ at: parsed.at, message: parsed.message.trim() });
      }
    });
  });
  return {
    path,
    messages,
    assignments: () => messages.filter((m) => m.message !== 'BARRIER=1'),
    async close() {
      child.removeAllListeners('exit');
      child.kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
