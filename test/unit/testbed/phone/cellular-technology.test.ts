import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { log } from '../../../../common/log.js';
import { ALLOWED_TYPES, bitmaskArgument, planCellularType } from '../../../../framework/devices/cellular-type.js';
import type { Technology } from '../../../../testbed/phone/cellular-technology.js';
import type { CommandContext } from '../../../../testbed/phone/commands/context.js';
import { COMMANDS } from '../../../../testbed/phone/commands/index.js';
import { technologyProfile } from '../../../../testbed/phone/lab-cellular.js';
import { defaultState } from '../../../../testbed/phone/state.js';
import { PhoneSystem } from '../../../../testbed/phone/system.js';

/**
 * The cellular technology on a virtual phone: the real commands a real phone gets from `mplab
 * device net --cellular-type` (cmd phone set-/get-allowed-network-types-for-users), answered as
 * Android answers them, and the lab told of each change of technology.
 */
describe('allowed network types on the virtual phone', () => {
  let dir: string;
  let system: PhoneSystem;
  const told: Technology[] = [];
  const logger = log('test');
  logger.level = 'silent';

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mplabt-cell-'));
    system = new PhoneSystem({
      identity: { name: 'p', product: 'prod', model: 'M', device: 'dev', serialno: 'SER', rooted: true },
      netns: 'mplabt-unused',
      dir,
      interfaces: { wifi: 'wlan0', cellular: 'rmnet0' },
      logger,
      onCellularTechnology: async (t) => {
        told.push(t);
        return true;
      },
    });
    system.state = defaultState({ name: 'p', model: 'M' });
    system.bootCompleted = true;
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function run(uid: number, ...argv: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const context = {
      argv, uid, cwd: '/', system, hostRoot: dir, rooted: true,
      stdout: (d: string | Buffer) => (stdout += d.toString()),
      stderr: (d: string | Buffer) => (stderr += d.toString()),
      writeFile: async () => undefined,
      stdin: () => new PassThrough(),
      processes: async () => [],
      spawn: () => Promise.reject(new Error('no phone here')),
      reboot: () => undefined,
      signal: new AbortController().signal,
    } as CommandContext;
    const status = await COMMANDS[argv[0]](context);
    return { status, stdout, stderr };
  }

  it('sets and reads back what mplab device net --cellular-type sends, and tells the lab each new technology', async () => {
    const plan = planCellularType('3g', 34);
    const set = await run(2000, ...plan.set[0]);
    expect(set).toMatchObject({ status: 0, stdout: 'set-allowed-network-types-for-users completed\n' });
    const read = await run(2000, ...plan.read);
    expect(read.stdout).toBe('GPRS|EDGE|UMTS|HSDPA|HSUPA|HSPA|HSPA+|GSM|TD_SCDMA\n');
    expect(plan.confirms(read.stdout)).toBe(true);
    expect(planCellularType('4g', 34).confirms(read.stdout)).toBe(false);
    await run(2000, 'cmd', 'phone', 'set-allowed-network-types-for-users', '-s', '0', bitmaskArgument('5g'));
    await run(0, 'cmd', 'phone', 'set-allowed-network-types-for-users', '-s', '0', bitmaskArgument('auto'));
    expect(told).toEqual(['3g', '5g', 'auto']);
    expect(planCellularType('auto', 34).confirms((await run(2000, ...plan.read)).stdout)).toBe(true);
    expect(ALLOWED_TYPES['5g']).toContain('NR');
  });

  it('refuses what Android refuses', async () => {
    expect(await run(2000, 'cmd', 'phone', 'set-allowed-network-types-for-users', '-s', '1', '1')).toMatchObject({ status: 255, stderr: 'set-allowed-network-types-for-users: No valid subscription found.\n' });
    expect(await run(2000, 'cmd', 'phone', 'set-allowed-network-types-for-users', '-s', '0', '12')).toMatchObject({ status: 255, stderr: expect.stringContaining('No valid NETWORK_TYPES_BITMASK') });
    expect(await run(10001, 'cmd', 'phone', 'get-allowed-network-types-for-users')).toMatchObject({ status: 255 });
  });

  it('picks the lab profile of each technology, the lab\'s own for auto', () => {
    expect(technologyProfile('3g', '/lab.json')).toMatch(/testbed\/profiles\/3g\.json$/);
    expect(technologyProfile('2g', '/lab.json')).toMatch(/testbed\/profiles\/3g\.json$/);
    expect(technologyProfile('5g', '/lab.json')).toMatch(/testbed\/profiles\/5g\.json$/);
    expect(technologyProfile('auto', '/lab.json')).toBe('/lab.json');
  });
});
