import { closeSync, mkdtempSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCapture } from '../proxy/capture.js';
import { deleteNetnsWithPrefix, sysctl } from '../testbed/netns.js';
import { PROXY, SERVER_PORT, createMptcpLab, runClients, startTrafficServer } from '../test/support/mptcp-lab.js';

/**
 * The short workload of `npm run bench:analysis`, from real kernel traffic: `count` SOCKS5
 * connections of MPTCP v1 between the lab's phone and proxy namespaces, each downloading about
 * 20 KB, with the kernel's additional subflow on the cellular path (two subflows each), captured at
 * the proxy on all interfaces (Linux cooked v2, 150-byte snapshots) like the bulk capture. Needs root.
 * The client plan goes on a command line, so it runs in batches (a single argument is at most 128 KB).
 */
export async function makeLabShortCapture(file: string, count: number): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error(`making ${file} needs root (network namespaces); run as root once`);
  const prefix = `mplabbs${process.pid}-`;
  const work = mkdtempSync(join(tmpdir(), 'mplab-bench-short-'));
  try {
    const lab = await createMptcpLab(prefix);
    // 20,000 connections from one address need more ephemeral ports than the default range's TIME_WAITs leave
    await sysctl(lab.phone, 'net.ipv4.ip_local_port_range', '10000 65000');
    await sysctl(lab.phone, 'net.ipv4.tcp_tw_reuse', 1);
    const server = await startTrafficServer(lab);
    const capture = await startCapture({ netns: lab.proxy, iface: 'any', file: join(work, 'short.pcap'), snaplen: 150, filter: 'tcp', bufferKiB: 65536 });
    let failed = 0;
    try {
      const at = `${PROXY}:${SERVER_PORT}`;
      const batch = 800;
      const batches: Promise<void>[] = [];
      // two client processes at a time, each with 16 connections open
      const run = async (from: number) => {
        const connections = Array.from({ length: Math.min(batch, count - from) }, (_, k) => {
          const i = from + k;
          return { target: { host: `host${i % 97}.example`, port: 443 }, form: 'socks5' as const, download: 18_000 + (i % 9) * 500 };
        });
        const results = await runClients(lab, { server: at, concurrency: 16, connections });
        failed += results.filter((r) => r.error !== null).length;
      };
      let next = 0;
      const worker = async () => {
        while (next < count) {
          const from = next;
          next += batch;
          await run(from);
        }
      };
      batches.push(worker(), worker());
      await Promise.all(batches);
    } finally {
      const stats = await capture.stop();
      await server.stop();
      console.log(`capture: ${stats.captured} packets, ${stats.droppedByKernel} dropped by the kernel; ${failed} connections failed`);
    }
    renameSync(join(work, 'short.pcap'), file);
  } finally {
    await deleteNetnsWithPrefix(prefix);
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Writes `copies` copies of the pcap `source` one after the other into `file`, each shifted in time
 * by the source's span plus `gapSeconds` (more than --grace, so the copies' connections never meet):
 * a capture with `copies` times the connections at the same rate.
 */
export function writeShiftedCopies(source: string, file: string, copies: number, gapSeconds: number): void {
  const src = openSync(source, 'r');
  const header = Buffer.alloc(24);
  readSync(src, header, 0, 24, 0);
  if (header.readUInt32LE(0) !== 0xa1b2c3d4) throw new Error(`${source}: expected a little-endian microsecond pcap`);
  const span = pcapSpan(src);
  const shift = Math.ceil(span.last - span.first + gapSeconds);
  const tmp = `${file}.${process.pid}.tmp`;
  const out = openSync(tmp, 'w');
  try {
    writeSync(out, header);
    for (let c = 0; c < copies; c++) {
      walkRecords(src, (buf, p) => buf.writeUInt32LE(buf.readUInt32LE(p) + c * shift, p), (buf, length) => writeSync(out, buf, 0, length));
    }
  } finally {
    closeSync(out);
    closeSync(src);
  }
  renameSync(tmp, file);
}

function pcapSpan(fd: number): { first: number; last: number } {
  let first = -1;
  let last = 0;
  walkRecords(fd, (buf, p) => {
    const t = buf.readUInt32LE(p);
    if (first < 0) first = t;
    last = Math.max(last, t + 1);
  });
  return { first, last };
}

/** Calls `visit` with each record's header offset in a chunk of a pcap, then `done` with the chunk's whole records. */
function walkRecords(fd: number, visit: (buf: Buffer, p: number) => void, done?: (buf: Buffer, length: number) => void): void {
  const buf = Buffer.allocUnsafe(1 << 22);
  let pos = 24;
  let held = 0;
  for (;;) {
    const n = readSync(fd, buf, held, buf.length - held, pos);
    pos += n;
    const end = held + n;
    let p = 0;
    while (p + 16 <= end) {
      const incl = buf.readUInt32LE(p + 8);
      if (p + 16 + incl > end) break;
      visit(buf, p);
      p += 16 + incl;
    }
    done?.(buf, p);
    buf.copy(buf, 0, p, end);
    held = end - p;
    if (n === 0) break;
  }
}
