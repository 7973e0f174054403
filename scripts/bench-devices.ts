/**
 * Device control figures, measured side by side in one run against a virtual phone through the
 * real adb server: shell round trips (protocol v2, legacy with exit marker, and the `adb shell`
 * command for comparison), and adb sync push/pull throughput.
 *   npm run bench:devices [-- --calls 50 --mbytes 20]
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { validateDevicesFile } from '../framework/config/devices-file.js';
import { Device } from '../framework/devices/device.js';
import { removeOwnTestNamespaces } from '../test/support/netns.js';
import { createVirtualPhone } from '../test/support/virtual-phone.js';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '50' }, mbytes: { type: 'string', default: '20' } } });
const calls = Number(values.calls);
const mbytes = Number(values.mbytes);

function stats(ms: number[]): { median: number; p90: number } {
  const s = [...ms].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], p90: s[Math.floor(s.length * 0.9)] };
}

async function time(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}

const phone = await createVirtualPhone({ name: 'bench', root: false, process: true });
const work = await mkdtemp(join(tmpdir(), 'mplab-bench-devices-'));
try {
  const config = validateDevicesFile([{ id: phone.serial, root: false, kernel: 'upstream' }]).devices[0];
  const v2 = new Device(config, { shellProtocol: 'v2' });
  const legacy = new Device(config, { shellProtocol: 'legacy' });
  await v2.run(['true']);
  await legacy.run(['true']);
  console.log(`load average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ${calls} calls each, ${mbytes} MB transfers`);

  const rV2 = stats(await time(calls, () => v2.run(['true'])));
  const rLegacy = stats(await time(calls, () => legacy.run(['true'])));
  const rCli = stats(await time(calls, () => execa('adb', ['-s', phone.serial, 'shell', 'true'])));
  console.log(`shell round trip (true), median / p90 ms:`);
  console.log(`  mplab v2      ${rV2.median.toFixed(1)} / ${rV2.p90.toFixed(1)}`);
  console.log(`  mplab legacy  ${rLegacy.median.toFixed(1)} / ${rLegacy.p90.toFixed(1)}   (legacy/v2 ${(rLegacy.median / rV2.median).toFixed(2)}x)`);
  console.log(`  adb shell     ${rCli.median.toFixed(1)} / ${rCli.p90.toFixed(1)}   (adb command/mplab v2 ${(rCli.median / rV2.median).toFixed(2)}x)`);

  const data = randomBytes(mbytes * 1024 * 1024);
  const local = join(work, 'up.bin');
  const back = join(work, 'down.bin');
  await writeFile(local, data);
  let t = performance.now();
  await v2.push(local, '/data/local/tmp/bench.bin');
  const pushS = (performance.now() - t) / 1000;
  t = performance.now();
  await v2.pull('/data/local/tmp/bench.bin', back);
  const pullS = (performance.now() - t) / 1000;
  const same = createHash('sha256').update(await readFile(back)).digest('hex') === createHash('sha256').update(data).digest('hex');
  await v2.run(['rm', '-f', '/data/local/tmp/bench.bin']);
  console.log(`adb sync: push ${(mbytes / pushS).toFixed(1)} MB/s, pull ${(mbytes / pullS).toFixed(1)} MB/s (pull/push ${(pushS / pullS).toFixed(2)}x), bytes identical: ${same}`);
  console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
} finally {
  await phone.teardown();
  await rm(work, { recursive: true, force: true });
  await removeOwnTestNamespaces();
}
