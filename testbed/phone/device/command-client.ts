/**
 * Runs on the phone (bundled into /system/lib/mplab/client.mjs): the body of every Android command
 * the daemon implements (getprop, settings, svc, cmd, dumpsys, am, pm, input, su, ...). The wrapper
 * script in /system/bin execs `node client.mjs NAME ARGS...`; this program hands argv and the
 * working directory to the daemon over a unix socket (root's socket is only reachable by root, so
 * the daemon knows the caller's privilege from the socket, not from what the caller says), relays
 * stdout, stderr and the exit status back, forwards stdin only when the daemon asks for it, and
 * writes files the daemon asks it to write with the caller's own permissions.
 */
import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { encodeShellPacket, ShellPacketDecoder } from '../../../common/shell-packets.js';
import { PacketId } from '../packets.js';
import { ROOT_SOCKET, SHELL_SOCKET } from '../paths.js';

const [name, ...args] = process.argv.slice(2);
const socketPath = process.getuid?.() === 0 ? ROOT_SOCKET : SHELL_SOCKET;
const socket = net.connect(socketPath);
const decoder = new ShellPacketDecoder();
let exited = false;

function finish(code: number): void {
  exited = true;
  socket.destroy();
  process.stdin.destroy();
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

socket.on('connect', () => {
  socket.write(encodeShellPacket(PacketId.request, JSON.stringify({ argv: [name, ...args], cwd: process.cwd() })));
});

socket.on('error', (error: NodeJS.ErrnoException) => {
  if (exited) return;
  process.stderr.write(`${name}: cannot reach the system server: ${error.code ?? error.message}\n`);
  finish(1);
});

socket.on('close', () => {
  if (exited) return;
  process.stderr.write(`${name}: the system server closed the connection\n`);
  finish(1);
});

socket.on('data', (chunk: Buffer) => {
  for (const packet of decoder.push(chunk)) {
    switch (packet.id) {
      case PacketId.stdout:
        if (!process.stdout.write(packet.data)) {
          socket.pause();
          process.stdout.once('drain', () => socket.resume());
        }
        break;
      case PacketId.stderr:
        process.stderr.write(packet.data);
        break;
      case PacketId.exit:
        finish(packet.data.length ? packet.data.readUInt8(0) : 1);
        return;
      case PacketId.wantStdin:
        forwardStdin();
        break;
      case PacketId.writeFile:
        void writeFile(packet.data);
        break;
      default:
        break;
    }
  }
});

function forwardStdin(): void {
  process.stdin.on('data', (data: Buffer) => {
    if (!socket.write(encodeShellPacket(PacketId.stdin, data))) {
      process.stdin.pause();
      socket.once('drain', () => process.stdin.resume());
    }
  });
  process.stdin.on('end', () => socket.write(encodeShellPacket(PacketId.closeStdin)));
  process.stdin.on('error', () => socket.write(encodeShellPacket(PacketId.closeStdin)));
}

async function writeFile(data: Buffer): Promise<void> {
  const headerLength = data.readUInt32LE(0);
  const header = JSON.parse(data.subarray(4, 4 + headerLength).toString('utf8')) as { path: string };
  const body = data.subarray(4 + headerLength);
  let result: { error?: string } = {};
  try {
    await fs.writeFile(path.resolve(process.cwd(), header.path), body);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    result = { error: e.code ?? e.message };
  }
  socket.write(encodeShellPacket(PacketId.writeFileResult, JSON.stringify(result)));
}
