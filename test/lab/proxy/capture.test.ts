import { access, mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MPLAB_CLI } from '../../../common/paths.js';
import { processAlive } from '../../../common/process.js';
import { readManifest, startCapture, startCaptureSet } from '../../../proxy/capture.js';
import { addNetns, inNetns, vethPair } from '../../../testbed/netns.js';
import { removeOwnTestNamespaces, testPrefix } from '../../support/netns.js';
import { skipUnless } from '../../support/prereq.js';

/** The classic pcap format tcpdump -w writes: the header's snap length and each packet's kept/original length. */
async function readPcap(file: string): Promise<{ snaplen: number; packets: { kept: number; original: number }[] }> {
  const buf = await readFile(file);
  if (buf.readUInt32LE(0) !== 0xa1b2c3d4) throw new Error(`${file}: not a little-endian microsecond pcap`);
  const packets = [];
  for (let at = 24; at + 16 <= buf.length; ) {
    const kept = buf.readUInt32LE(at + 8);
    packets.push({ kept, original: buf.readUInt32LE(at + 12) });
    at += 16 + kept;
  }
  return { snaplen: buf.readUInt32LE(16), packets };
}

const exists = (file: string): Promise<boolean> => access(file).then(() => true, () => false);

describe.skipIf(skipUnless({ root: true, commands: ['tcpdump', 'ping', 'ip'] }))('tcpdump captures', () => {
  const prefix = testPrefix();
  const a = `${prefix}a`;
  const b = `${prefix}b`;
  let dir: string;

  beforeAll(async () => {
    await addNetns(a);
    await addNetns(b);
    await vethPair({ netns: a, ifname: 'va', cidr: '198.18.0.1/30' }, { netns: b, ifname: 'vb', cidr: '198.18.0.2/30' });
    dir = await mkdtemp(join(tmpdir(), 'mplab-capture-'));
  });
  afterAll(removeOwnTestNamespaces);

  it('captures every packet inside a namespace and reports the counters', async () => {
    const capture = await startCapture({ netns: b, iface: 'vb', file: join(dir, 'b.pcap'), filter: 'icmp' });
    await inNetns(a, 'ping', ['-c', '5', '-i', '0.05', '198.18.0.2']);
    const stats = await capture.stop();
    // 5 requests and 5 replies cross vb
    expect(stats.captured).toBe(10);
    expect(stats.droppedByKernel).toBe(0);
    expect((await stat(stats.file)).size).toBeGreaterThan(24 + 10 * 16);
    expect(await exists(`${stats.file}.log`)).toBe(false);
  });

  it('fails clearly on an interface that does not exist', async () => {
    await expect(startCapture({ netns: a, iface: 'nope0', file: join(dir, 'x.pcap') })).rejects.toThrow(/tcpdump exited.*nope0/s);
  });

  it('captures a named set on several interfaces with the snap length asked for, counters in the manifest', async () => {
    const set = await startCaptureSet({ dir, name: 'set1', netns: b, ifaces: ['vb', 'lo'], snaplen: 96, filter: 'icmp' });
    expect(set.files).toEqual([join(dir, 'set1-vb.pcap'), join(dir, 'set1-lo.pcap')]);
    expect((await readManifest(set.manifest)).status).toBe('running');
    await inNetns(a, 'ping', ['-c', '4', '-i', '0.05', '-s', '500', '198.18.0.2']);
    await inNetns(b, 'ping', ['-c', '2', '-i', '0.05', '127.0.0.1']);
    const manifest = await set.stop();
    expect(manifest).toMatchObject({ name: 'set1', status: 'stopped', snaplen: 96, netns: b, filter: 'icmp' });
    expect(await readManifest(set.manifest)).toEqual(manifest);
    const [vb, lo] = manifest.captures;
    expect(vb).toMatchObject({ iface: 'vb', captured: 8, droppedByKernel: 0 });
    const pcap = await readPcap(vb.file);
    expect(pcap.snaplen).toBe(96);
    expect(pcap.packets).toHaveLength(8);
    for (const p of pcap.packets) expect(p).toEqual({ kept: 96, original: 14 + 20 + 8 + 500 });
    expect(lo.captured).toBe((await readPcap(lo.file)).packets.length);
    expect(lo.captured).toBeGreaterThanOrEqual(4);
    await expect(set.stop()).rejects.toThrow(/already stopped/);
  });

  it('expands "all" to every interface of the namespace but lo', async () => {
    const set = await startCaptureSet({ dir, name: 'every', netns: b, ifaces: ['all'] });
    expect(set.files).toEqual([join(dir, 'every.pcap')]);
    expect((await set.stop()).captures.map((c) => c.iface)).toEqual(['vb']);
  });

  it('reports the packets the kernel dropped when tcpdump cannot keep up', async () => {
    // a 4 KiB capture buffer (about two packets: 1 KiB is too small for libpcap's ring), whole
    // packets, and a ping flood in bursts of 64: the kernel must drop
    const set = await startCaptureSet({ dir, name: 'drops', netns: b, ifaces: ['vb'], snaplen: 65535, bufferKiB: 4, filter: 'icmp' });
    await inNetns(a, 'ping', ['-f', '-q', '-l', '64', '-c', '5000', '-s', '1400', '198.18.0.2']);
    const [c] = (await set.stop()).captures;
    expect(c.droppedByKernel).toBeGreaterThan(0);
    // every packet that passed the filter was either written or counted as dropped
    expect(c.receivedByFilter).toBe(c.captured! + c.droppedByKernel!);
    expect(c.receivedByFilter).toBe(10_000);
    expect((await readPcap(c.file)).packets).toHaveLength(c.captured!);
  });

  it('runs detached from "mplab capture start" and is stopped by a later "mplab capture stop"', async () => {
    const mplab = (args: string[]) => execa(process.execPath, [MPLAB_CLI, ...args], { reject: false, env: { MPLAB_LOG_FORMAT: 'json' } });
    const started = await mplab(['capture', 'start', 'cli1', '--dir', dir, '--netns', b, '--iface', 'vb', '--snaplen', '128']);
    expect(started.exitCode).toBe(0);
    const running = JSON.parse(started.stdout) as { captures: { pid: number; file: string }[] };
    const { pid, file } = running.captures[0];
    // the command has exited; its tcpdump has not
    expect((await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0')).toContain('tcpdump');
    await inNetns(a, 'ping', ['-c', '3', '-i', '0.05', '198.18.0.2']);
    const stopped = await mplab(['capture', 'stop', 'cli1', '--dir', dir]);
    expect(stopped.exitCode).toBe(0);
    const manifest = JSON.parse(stopped.stdout) as { status: string; captures: { captured: number; droppedByKernel: number }[] };
    expect(manifest.status).toBe('stopped');
    expect(manifest.captures[0].captured).toBe((await readPcap(file)).packets.length);
    expect(manifest.captures[0].captured).toBeGreaterThanOrEqual(6);
    expect(manifest.captures[0].droppedByKernel).toBe(0);
    expect(await exists(`${file}.log`)).toBe(false);
    expect(processAlive(pid)).toBe(false);

    const again = await mplab(['capture', 'stop', 'cli1', '--dir', dir]);
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toMatch(/cli1\.capture\.json: capture "cli1" was already stopped/);
    const bad = await mplab(['capture', 'start', 'cli2', '--dir', dir, '--netns', b, '--iface', 'nope0']);
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toMatch(/nope0: No such device/);
    expect(await exists(join(dir, 'cli2.capture.json'))).toBe(false);
  });
});
