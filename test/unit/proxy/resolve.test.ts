import { describe, expect, it } from 'vitest';
import { makeResolver, parseHosts } from '../../../proxy/resolve.js';
import { formatRecord } from '../../../proxy/connection-log.js';

describe('hosts files', () => {
  it('maps names and aliases to addresses in file order, ignoring comments and case', () => {
    const table = parseHosts('# lab names\n198.19.0.2  origin.mplab.test origin  # v4\n2001:2:0:2::2 Origin.mplab.test\n\n');
    expect(table.get('origin.mplab.test')).toEqual(['198.19.0.2', '2001:2:0:2::2']);
    expect(table.get('origin')).toEqual(['198.19.0.2']);
  });

  it('says which line is wrong', () => {
    expect(() => parseHosts('198.19.0.2 ok\nnot-an-address name\n', 'lab.hosts')).toThrow(/lab.hosts, line 2: expected "ADDRESS NAME/);
    expect(() => parseHosts('198.19.0.2\n', 'lab.hosts')).toThrow(/line 1/);
  });

  it('resolves from the table, passes literals through and fails fast without DNS', async () => {
    const resolve = makeResolver({ hosts: parseHosts('198.19.0.2 origin.mplab.test\n'), dns: false });
    await expect(resolve('ORIGIN.mplab.test')).resolves.toEqual(['198.19.0.2']);
    await expect(resolve('2001:2::1')).resolves.toEqual(['2001:2::1']);
    await expect(resolve('elsewhere.mplab.test')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });
});

describe('connection log lines', () => {
  it('writes the documented fields in the documented order', () => {
    const line = formatRecord({
      mptcp: { subflows: 2, fallback: false },
      close: 'client-end',
      bytes: { up: 312, down: 1048576 },
      end: 1763791236.5,
      start: 1763791234.123,
      remote: '198.19.0.2:443',
      target: { host: 'example.org', port: 443 },
      listen: '198.18.0.1:1080',
      client: '198.18.1.2:40122',
      id: 17,
      event: 'connection',
    });
    expect(line).toBe(
      '{"event":"connection","id":17,"client":"198.18.1.2:40122","listen":"198.18.0.1:1080","target":{"host":"example.org","port":443},"remote":"198.19.0.2:443","start":1763791234.123,"end":1763791236.5,"bytes":{"up":312,"down":1048576},"close":"client-end","mptcp":{"subflows":2,"fallback":false}}',
    );
  });
});
