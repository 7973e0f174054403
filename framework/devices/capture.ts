import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseTcpdumpStats } from '../../proxy/capture.js';
import { tcpdumpArgv } from './android-commands.js';
import type { Device } from './device.js';
import { PhoneOpError } from './errors.js';
import { shCommand, shQuote } from './quote.js';
import { commandOutput } from './shell.js';

/**
 * Packet captures on the phone (root): tcpdump runs detached (nohup, output to a log file next to
 * the capture), its pid in NAME.pid; stop sends SIGINT, waits for it to exit and reads the
 * counters tcpdump prints; pull copies the capture to the controller over adb sync.
 */
/** "cannot": devices.json does not allow it; "failed": tcpdump did not start or stop as it should. */
export class PhoneCaptureError extends PhoneOpError {}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function checkCaptureName(name: string): string {
  if (!NAME.test(name)) throw new PhoneCaptureError(`capture name ${JSON.stringify(name)}: expected 1-64 of [A-Za-z0-9._-], starting with a letter or digit`, 'usage');
  return name;
}

export function defaultCaptureName(now = new Date()): string {
  return `mplab-${now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}`;
}

export function capturePaths(dir: string, name: string): { pcap: string; log: string; pid: string } {
  const base = `${dir.replace(/\/+$/, '')}/${checkCaptureName(name)}`;
  return { pcap: `${base}.pcap`, log: `${base}.log`, pid: `${base}.pid` };
}

/** The root script that starts tcpdump in the background and prints its pid. */
export function captureStartScript(opts: { dir: string; name: string; iface: string; snaplen: number }): string {
  const p = capturePaths(opts.dir, opts.name);
  const argv = tcpdumpArgv({ iface: opts.iface, snaplen: opts.snaplen, file: p.pcap });
  return [
    `mkdir -p ${shQuote(opts.dir)}`,
    `if [ -f ${shQuote(p.pid)} ] && kill -0 "$(cat ${shQuote(p.pid)})" 2>/dev/null; then echo 'capture already running' >&2; exit 3; fi`,
    `nohup ${shCommand(argv)} > ${shQuote(p.log)} 2>&1 < /dev/null &`,
    `echo $! > ${shQuote(p.pid)}`,
    `cat ${shQuote(p.pid)}`,
  ].join('\n');
}

export interface PhoneCapture {
  name: string;
  pcap: string;
  pid: number;
}

/**
 * Starts tcpdump on the phone. devices.json's `capture.onPhone` says whether this phone is
 * captured on: when it is false (the default) the start is refused unless `force` is given, so
 * that a phone whose owner keeps tcpdump off it (storage, CPU load during measurements) is not
 * captured by a script that captures on every phone.
 */
export async function startPhoneCapture(device: Device, name: string = defaultCaptureName(), opts: { force?: boolean } = {}): Promise<PhoneCapture> {
  if (!device.config.capture.onPhone && !opts.force) {
    throw new PhoneCaptureError(
      `devices.json says not to capture on phone ${device.config.label} ("capture": {"onPhone": false}, the default); set "onPhone": true there, or force this one capture (--force)`,
      'cannot',
    );
  }
  await device.requireRoot();
  const { dir, iface, snaplen } = device.config.capture;
  const p = capturePaths(dir, name);
  const r = await device.rootShell({ script: captureStartScript({ dir, name, iface, snaplen }) }, { repeatable: false });
  if (r.exitCode !== 0) throw new PhoneCaptureError(`starting tcpdump on the phone failed (exit status ${r.exitCode}): ${commandOutput(r)}`);
  const pid = Number(r.stdout.toString().trim().split('\n').pop());
  if (!Number.isInteger(pid) || pid <= 0) throw new PhoneCaptureError(`starting tcpdump on the phone gave no pid: ${JSON.stringify(r.stdout.toString())}`);
  // tcpdump says "listening on" once it captures; an error (no such device, no permission) ends it at once
  const deadline = Date.now() + 10_000;
  for (;;) {
    const check = await device.rootShell({ script: `kill -0 ${pid} 2>/dev/null && echo alive; cat ${shQuote(p.log)} 2>/dev/null; true` });
    const out = check.stdout.toString();
    if (/listening on/.test(out)) break;
    if (!out.startsWith('alive')) throw new PhoneCaptureError(`tcpdump on the phone exited at once: ${out.trim() || 'no output'}`);
    if (Date.now() > deadline) throw new PhoneCaptureError(`tcpdump on the phone did not start listening within 10 s: ${out.trim()}`);
    await sleep(200);
  }
  device.log.info({ name, pid, file: p.pcap }, 'phone capture started');
  return { name, pcap: p.pcap, pid };
}

export interface PhoneCaptureStats {
  name: string;
  pcap: string;
  captured: number | null;
  receivedByFilter: number | null;
  droppedByKernel: number | null;
  bytes: number | null;
}

export async function stopPhoneCapture(device: Device, name: string): Promise<PhoneCaptureStats> {
  await device.requireRoot();
  const p = capturePaths(device.config.capture.dir, name);
  const pidText = (await device.rootShell(['cat', p.pid])).stdout.toString().trim();
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) throw new PhoneCaptureError(`no capture ${JSON.stringify(name)} on the phone (no pid in ${p.pid})`);
  await device.rootShell({ script: `kill -INT ${pid} 2>/dev/null; true` });
  const deadline = Date.now() + 15_000;
  for (;;) {
    const alive = await device.rootShell({ script: `kill -0 ${pid} 2>/dev/null` });
    if (alive.exitCode !== 0) break;
    if (Date.now() > deadline) {
      await device.rootShell({ script: `kill -KILL ${pid} 2>/dev/null; true` });
      throw new PhoneCaptureError(`tcpdump (pid ${pid}) did not stop within 15 s of SIGINT; killed it, counters lost`);
    }
    await sleep(200);
  }
  const log = (await device.rootShell(['cat', p.log])).stdout.toString();
  const size = (await device.rootShell({ script: `wc -c < ${shQuote(p.pcap)}` })).stdout.toString().trim();
  await device.rootShell(['rm', '-f', p.pid]);
  const stats = parseTcpdumpStats(log);
  device.log.info({ name, ...stats }, 'phone capture stopped');
  return {
    name,
    pcap: p.pcap,
    captured: stats?.captured ?? null,
    receivedByFilter: stats?.receivedByFilter ?? null,
    droppedByKernel: stats?.droppedByKernel ?? null,
    bytes: size && /^\d+$/.test(size) ? Number(size) : null,
  };
}

export async function pullPhoneCapture(device: Device, name: string, outDir: string): Promise<{ file: string; bytes: number }> {
  const p = capturePaths(device.config.capture.dir, name);
  await mkdir(outDir, { recursive: true });
  const file = join(outDir, `${name}.pcap`);
  const bytes = await device.pull(p.pcap, file);
  return { file, bytes };
}
