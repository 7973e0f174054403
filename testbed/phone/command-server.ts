import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import type { Logger } from '../../common/log.js';
import { COMMANDS } from './commands/index.js';
import type { CommandContext } from './commands/context.js';
import { encodeShellPacket } from '../../common/shell-packets.js';
import { PacketId, onShellPackets } from './packets.js';
import { ROOT_SOCKET, SHELL_SOCKET, SHELL_UID } from './paths.js';
import type { PhoneSandbox } from './sandbox.js';
import { shellEnvironment } from './sandbox.js';
import type { PhoneSystem } from './system.js';

/**
 * The daemon's end of the phone's command wrappers: two unix sockets in the phone's /dev/socket,
 * one that only root can connect to (mode 0600) and one for everybody. A connection carries one
 * command: a request packet (argv, cwd), then stdout/stderr packets back and an exit packet.
 */

export interface CommandServerOptions {
  sandbox: PhoneSandbox;
  system: PhoneSystem;
  rooted: boolean;
  hostname: string;
  reboot: (reason: string) => void;
  logger: Logger;
}

/** Node cannot bind a unix socket whose path is longer than sun_path; bind relative to the folder then. */
async function listenUnix(server: net.Server, file: string): Promise<void> {
  await fs.rm(file, { force: true });
  const useRelative = Buffer.byteLength(file) > 100;
  const previous = process.cwd();
  if (useRelative) process.chdir(path.dirname(file));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(useRelative ? `./${path.basename(file)}` : file, () => {
        server.off('error', reject);
        resolve();
      });
      if (useRelative) process.chdir(previous);
    });
  } finally {
    if (useRelative) process.chdir(previous);
  }
}

export class CommandServer {
  private readonly servers: net.Server[] = [];
  private readonly connections = new Set<net.Socket>();

  constructor(private readonly options: CommandServerOptions) {}

  async start(): Promise<void> {
    const sandbox = this.options.sandbox;
    for (const [phonePath, uid, mode] of [
      [SHELL_SOCKET, SHELL_UID, 0o666],
      [ROOT_SOCKET, 0, 0o600],
    ] as const) {
      const server = net.createServer((socket) => this.accept(socket, uid));
      const file = sandbox.hostPath(phonePath);
      await listenUnix(server, file);
      await fs.chmod(file, mode);
      this.servers.push(server);
    }
  }

  async stop(): Promise<void> {
    for (const socket of this.connections) socket.destroy();
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    this.servers.length = 0;
  }

  private accept(socket: net.Socket, uid: number): void {
    this.connections.add(socket);
    const abort = new AbortController();
    let stdin: PassThrough | undefined;
    let started = false;
    const pendingWrites: Array<(error: string | undefined) => void> = [];
    let finished = false;

    const send = (id: number, data?: Buffer | string) => {
      if (!socket.destroyed) socket.write(encodeShellPacket(id, data));
    };
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.connections.delete(socket);
      if (!finished) abort.abort();
      stdin?.end();
      for (const resolve of pendingWrites.splice(0)) resolve('EPIPE');
    });
    onShellPackets(socket, (packet) => {
      if (packet.id === PacketId.request && !started) {
        started = true;
        let request: { argv: string[]; cwd: string };
        try {
          request = JSON.parse(packet.data.toString('utf8')) as { argv: string[]; cwd: string };
        } catch {
          socket.destroy();
          return;
        }
        const context = this.context(request, uid, {
          send,
          abort,
          stdin: () => {
            if (!stdin) {
              stdin = new PassThrough();
              send(PacketId.wantStdin);
            }
            return stdin;
          },
          pendingWrites,
        });
        void this.run(context).then((status) => {
          finished = true;
          send(PacketId.exit, Buffer.from([status & 0xff]));
          socket.end();
        });
      } else if (packet.id === PacketId.stdin) {
        stdin?.write(packet.data);
      } else if (packet.id === PacketId.closeStdin) {
        stdin?.end();
      } else if (packet.id === PacketId.writeFileResult) {
        const result = JSON.parse(packet.data.toString('utf8')) as { error?: string };
        pendingWrites.shift()?.(result.error);
      }
    });
  }

  private context(
    request: { argv: string[]; cwd: string },
    uid: number,
    io: { send: (id: number, data?: Buffer | string) => void; abort: AbortController; stdin: () => Readable; pendingWrites: Array<(error: string | undefined) => void> },
  ): CommandContext {
    const { sandbox, system } = this.options;
    return {
      argv: request.argv.map(String),
      uid,
      cwd: typeof request.cwd === 'string' && request.cwd.startsWith('/') ? request.cwd : '/',
      system,
      hostRoot: sandbox.root,
      rooted: this.options.rooted,
      stdout: (data) => io.send(PacketId.stdout, data),
      stderr: (data) => io.send(PacketId.stderr, data),
      writeFile: (phonePath, data) =>
        new Promise((resolve) => {
          const header = Buffer.from(JSON.stringify({ path: phonePath }), 'utf8');
          const length = Buffer.alloc(4);
          length.writeUInt32LE(header.length, 0);
          io.pendingWrites.push(resolve);
          io.send(PacketId.writeFile, Buffer.concat([length, header, Buffer.from(data)]));
        }),
      stdin: io.stdin,
      spawn: (argv, options) =>
        sandbox.spawn(['/system/bin/sh', '-c', 'cd "$1" 2>/dev/null; shift; exec "$@"', 'su', options.cwd, ...argv], {
          uid: options.uid,
          env: shellEnvironment(options.uid, this.options.hostname),
        }),
      processes: () => sandbox.processes(),
      reboot: this.options.reboot,
      signal: io.abort.signal,
    };
  }

  private async run(context: CommandContext): Promise<number> {
    const name = context.argv[0];
    const command = COMMANDS[name];
    const logger = this.options.logger;
    if (!command) {
      context.stderr(`/system/bin/sh: ${name}: inaccessible or not found\n`);
      return 127;
    }
    try {
      const status = await command(context);
      logger.debug({ argv: context.argv, uid: context.uid, status }, 'command');
      return status;
    } catch (error) {
      logger.error({ argv: context.argv, err: (error as Error).message }, 'command failed');
      context.stderr(`${name}: ${(error as Error).message}\n`);
      return 1;
    }
  }
}
