import { afterAll, describe, expect, it } from 'vitest';
import { addNetns, deleteNetnsWithPrefix, inNetns, listNetns, vethPair } from '../../../testbed/netns.js';
import { connectInNetns, listenInNetns } from '../../../testbed/phone/netns-socket.js';
import { skipUnless } from '../../support/prereq.js';
import { removeOwnTestNamespaces, testPrefix } from '../../support/netns.js';

describe.skipIf(skipUnless({ root: true, commands: ['ip', 'ping', 'ethtool'] }))('network namespace primitives', () => {
  const prefix = testPrefix();
  afterAll(removeOwnTestNamespaces);

  it('connects two namespaces with a veth pair and removes them by prefix', async () => {
    await addNetns(`${prefix}a`);
    await addNetns(`${prefix}b`);
    await vethPair({ netns: `${prefix}a`, ifname: 'va', cidr: '198.18.0.1/30' }, { netns: `${prefix}b`, ifname: 'vb', cidr: '198.18.0.2/30' });
    const ping = await inNetns(`${prefix}a`, 'ping', ['-c', '1', '-W', '2', '198.18.0.2']);
    expect(ping.exitCode).toBe(0);
    const offloads = await inNetns(`${prefix}a`, 'ethtool', ['-k', 'va']);
    expect(offloads.stdout).toMatch(/tcp-segmentation-offload: off/);
    expect(offloads.stdout).toMatch(/generic-receive-offload: off/);
    // a long-running process inside is killed with its namespace
    const sleeper = inNetns(`${prefix}b`, 'sleep', ['600'], { reject: false });
    expect(await deleteNetnsWithPrefix(prefix)).toHaveLength(2);
    expect((await sleeper).exitCode).not.toBe(0);
    expect(await listNetns(prefix)).toEqual([]);
  });

  it('throws Node-style errors from the native socket addon: code, errno and the step that failed', async () => {
    const absent = `${prefix}absent`;
    expect(() => listenInNetns(absent, '127.0.0.1', 6790)).toThrow(
      expect.objectContaining({ code: 'ENOENT', errno: 2, message: `listen on 127.0.0.1:6790 in /run/netns/${absent} (open the namespace): No such file or directory` }),
    );
    await addNetns(`${prefix}c`);
    expect(() => connectInNetns(`${prefix}c`, '127.0.0.1', 6790)).toThrow(expect.objectContaining({ code: 'ECONNREFUSED', errno: 111, message: expect.stringMatching(/\(connect\): Connection refused$/) }));
    await deleteNetnsWithPrefix(`${prefix}c`);
  });

  it('refuses names without the mplab prefix', async () => {
    await expect(addNetns('other')).rejects.toThrow(/expected "mplab"/);
    await expect(deleteNetnsWithPrefix('x')).rejects.toThrow(/refusing/);
  });
});
