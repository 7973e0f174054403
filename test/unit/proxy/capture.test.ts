import { describe, expect, it } from 'vitest';
import { parseTcpdumpStats, tcpdumpArgs } from '../../../proxy/capture.js';

describe('tcpdump arguments and counters', () => {
  it('builds an argument array with the filter as one argument', () => {
    const args = tcpdumpArgs({ file: '/tmp/a b.pcap', snaplen: 150, filter: 'tcp port 1080 and host 198.18.0.1' });
    expect(args).toEqual(['-i', 'any', '-s', '150', '-B', '8192', '--immediate-mode', '-n', '-Z', 'root', '-w', '/tmp/a b.pcap', '-y', 'LINUX_SLL2', 'tcp port 1080 and host 198.18.0.1']);
  });

  it('parses the counters tcpdump prints at exit', () => {
    const stderr = 'tcpdump: listening on any, link-type LINUX_SLL2\n1234 packets captured\n1300 packets received by filter\n66 packets dropped by kernel\n';
    expect(parseTcpdumpStats(stderr)).toEqual({ captured: 1234, receivedByFilter: 1300, droppedByKernel: 66, droppedByInterface: null });
    expect(parseTcpdumpStats('1 packet captured\n1 packet received by filter\n0 packets dropped by kernel\n2 packets dropped by interface')).toEqual({
      captured: 1,
      receivedByFilter: 1,
      droppedByKernel: 0,
      droppedByInterface: 2,
    });
    expect(parseTcpdumpStats('tcpdump: eth9: No such device exists')).toBeNull();
  });
});
