import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startCapture } from '../../../proxy/capture.js';
import { addNetns, inNetns, vethPair } from '../../../testbed/netns.js';
import { removeOwnTestNamespaces, testPrefix } from '../../support/netns.js';
import { skipUnless } from '../../support/prereq.js';

describe.skipIf(skipUnless({ root: true, commands: ['tcpdump', 'ping', 'ip'] }))('tcpdump captures', () => {
  const prefix = testPrefix();
  afterAll(removeOwnTestNamespaces);

  it('captures every packet inside a namespace and reports the counters', async () => {
    const a = `${prefix}a`;
    const b = `${prefix}b`;
    await addNetns(a);
    await addNetns(b);
    await vethPair({ netns: a, ifname: 'va', cidr: '198.18.0.1/30' }, { netns: b, ifname: 'vb', cidr: '198.18.0.2/30' });
    const dir = await mkdtemp(join(tmpdir(), 'mplab-capture-'));
    const capture = await startCapture({ netns: b, iface: 'vb', file: join(dir, 'b.pcap'), filter: 'icmp' });
    await inNetns(a, 'ping', ['-c', '5', '-i', '0.05', '198.18.0.2']);
    const stats = await capture.stop();
    // 5 requests and 5 replies cross vb
    expect(stats.captured).toBe(10);
    expect(stats.droppedByKernel).toBe(0);
    expect((await stat(stats.file)).size).toBeGreaterThan(24 + 10 * 16);
  });

  it('fails clearly on an interface that does not exist', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mplab-capture-'));
    await expect(startCapture({ netns: `${prefix}a`, iface: 'nope0', file: join(dir, 'x.pcap') })).rejects.toThrow(/tcpdump exited.*nope0/s);
  });
});
