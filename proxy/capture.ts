import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { log } from '../common/log.js';

/**
 * tcpdump captures into named files, one process per capture, started inside a network namespace
 * when one is given. Stopping returns tcpdump's own counters so that every trace records how many
 * packets the kernel dropped.
 */
export interface CaptureOptions {
  file: string;
  /** an interface name, or "any" (Linux cooked v2 headers) */
  iface?: string;
  netns?: string;
  /** bytes kept of each packet; the TCP/MPTCP headers and a SOCKS request fit in the default */
  snaplen?: number;
  /** a BPF filter expression, passed to tcpdump as one argument */
  filter?: string;
  /** kernel capture buffer in KiB (tcpdump -B); larger buffers drop less under bursts */
  bufferKiB?: number;
}

export interface CaptureStats {
  file: string;
  captured: number;
  receivedByFilter: number;
  droppedByKernel: number;
  droppedByInterface: number | null;
}

export interface Capture {
  readonly file: string;
  stop(): Promise<CaptureStats>;
}

export const DEFAULT_SNAPLEN = 256;

export function tcpdumpArgs(opts: CaptureOptions): string[] {
  const iface = opts.iface ?? 'any';
  const args = ['-i', iface, '-s', String(opts.snaplen ?? DEFAULT_SNAPLEN), '-B', String(opts.bufferKiB ?? 8192)];
  // immediate mode: without it, packets still in the ring's current block are lost at SIGINT
  args.push('--immediate-mode', '-n', '-Z', 'root', '-w', opts.file);
  if (iface === 'any') args.push('-y', 'LINUX_SLL2');
  if (opts.filter) args.push(opts.filter);
  return args;
}

export function parseTcpdumpStats(stderr: string): Omit<CaptureStats, 'file'> | null {
  const num = (re: RegExp): number | null => {
    const m = re.exec(stderr);
    return m ? Number(m[1]) : null;
  };
  const captured = num(/(\d+) packets? captured/);
  const received = num(/(\d+) packets? received by filter/);
  const kernel = num(/(\d+) packets? dropped by kernel/);
  if (captured === null || received === null || kernel === null) return null;
  return { captured, receivedByFilter: received, droppedByKernel: kernel, droppedByInterface: num(/(\d+) packets? dropped by interface/) };
}

export async function startCapture(opts: CaptureOptions): Promise<Capture> {
  const logger = log('capture', { file: opts.file, netns: opts.netns, iface: opts.iface ?? 'any' });
  await mkdir(dirname(opts.file), { recursive: true });
  const args = tcpdumpArgs(opts);
  const proc: ResultPromise = opts.netns
    ? execa('ip', ['netns', 'exec', opts.netns, 'tcpdump', ...args], { reject: false, stdout: 'ignore' })
    : execa('tcpdump', args, { reject: false, stdout: 'ignore' });

  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tcpdump did not start within 10 s: ${stderr.trim()}`)), 10_000);
    proc.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (/listening on/.test(stderr)) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.then((result) => {
      clearTimeout(timer);
      reject(new Error(`tcpdump exited (${result.exitCode ?? result.signal}) before capturing: ${stderr.trim()}`));
    }, reject);
  });
  logger.debug({ args }, 'capture started');

  return {
    file: opts.file,
    async stop() {
      proc.kill('SIGINT');
      const result = await proc;
      const stats = parseTcpdumpStats(stderr);
      if (!stats) throw new Error(`tcpdump for ${opts.file} ended (${result.exitCode ?? result.signal}) without its counters: ${stderr.trim()}`);
      logger.info(stats, 'capture stopped');
      return { file: opts.file, ...stats };
    },
  };
}
