/**
 * A tiny local SMTP server (node:net) speaking just enough of RFC 5321 for nodemailer: greeting,
 * EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT, and AUTH PLAIN/LOGIN when `{ auth: true }`. No
 * TLS (no STARTTLS) is ever offered. Every message it accepts is kept (envelope and raw data), and
 * every line a client sent outside DATA is kept in `commands`, for the test to read.
 */

import type { AddressInfo } from 'node:net';
import { createServer, type Socket } from 'node:net';

export interface ReceivedMail {
  readonly from: string;
  readonly to: string[];
  /** The raw message (headers and body), dot-unstuffed. */
  readonly data: string;
}

export interface SmtpServer {
  readonly port: number;
  readonly mails: ReceivedMail[];
  /** Every command line received, in order (AUTH payloads included: what went over the wire). */
  readonly commands: string[];
  close(): Promise<void>;
}

export async function startSmtpServer(opts: { auth?: boolean } = {}): Promise<SmtpServer> {
  const mails: ReceivedMail[] = [];
  const commands: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.setEncoding('utf8');
    let from = '';
    let to: string[] = [];
    let data: string[] | null = null;
    // AUTH LOGIN asks for the user, then the password, each on its own line.
    let loginLines = 0;
    let buffered = '';
    const reply = (line: string) => socket.write(`${line}\r\n`);
    reply('220 localhost test SMTP');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      let end = buffered.indexOf('\r\n');
      while (end >= 0) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        end = buffered.indexOf('\r\n');
        if (data) {
          if (line === '.') {
            mails.push({ from, to, data: data.join('\r\n') });
            data = null;
            reply('250 2.0.0 queued');
          } else data.push(line.startsWith('..') ? line.slice(1) : line);
          continue;
        }
        commands.push(line);
        if (loginLines > 0) {
          loginLines--;
          reply(loginLines > 0 ? '334 UGFzc3dvcmQ6' : '235 2.7.0 authenticated');
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') {
          if (opts.auth) reply('250-localhost');
          reply(opts.auth ? '250 AUTH PLAIN LOGIN' : '250 localhost');
        } else if (verb === 'AUTH') {
          const [, method, initial] = line.split(' ');
          if (method?.toUpperCase() === 'LOGIN') {
            loginLines = initial ? 1 : 2;
            reply(initial ? '334 UGFzc3dvcmQ6' : '334 VXNlcm5hbWU6');
          } else if (initial) reply('235 2.7.0 authenticated');
          else {
            loginLines = 1;
            reply('334 ');
          }
        } else if (verb === 'HELO') reply('250 localhost');
        else if (verb === 'MAIL') {
          from = /<([^>]*)>/.exec(line)?.[1] ?? '';
          to = [];
          reply('250 2.1.0 ok');
        } else if (verb === 'RCPT') {
          to.push(/<([^>]*)>/.exec(line)?.[1] ?? '');
          reply('250 2.1.5 ok');
        } else if (verb === 'DATA') {
          data = [];
          reply('354 end with <CRLF>.<CRLF>');
        } else if (verb === 'RSET' || verb === 'NOOP') reply('250 ok');
        else if (verb === 'QUIT') {
          reply('221 bye');
          socket.end();
        } else reply('502 5.5.2 not implemented');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    mails,
    commands,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
