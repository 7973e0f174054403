import { setTimeout as sleep } from 'node:timers/promises';
import type { TestResult } from '../../common/test-result.js';
import { labLink, labStatus } from '../../testbed/lab/lab.js';
import type { LinkChange } from '../../testbed/link/emulator.js';
import { loadProfile } from '../../testbed/lab/profile.js';
import { findScenario } from '../../scenarios/index.js';
import { resetApp } from '../devices/app.js';
import { applyCellularType, readCellularType } from '../devices/cellular-type.js';
import { adbServerCapabilities } from '../config/devices-file.js';
import { Device } from '../devices/device.js';
import { applyNet } from '../devices/network.js';
import { findLabPhone } from '../runner/lab-phone.js';
import { restorePhone, type PhoneBefore } from '../runner/phone-setup.js';
import { runTest } from '../runner/test-run.js';
import type { CampaignNetwork } from './campaign-file.js';
import type { Logger } from '../../common/log.js';
import type { CampaignPhone, ExecutorContext, RecoveryActions, TestExecutor } from './campaign-runner.js';
import type { AppiumService } from './appium-service.js';

/**
 * The campaign's tests run by `mplab run`'s runTest, with what a campaign network adds around it:
 * a lab phone's links set to a profile or to link settings (and put back after), the cellular
 * technology (and put back after). And the recovery ladder's rungs carried out on a phone.
 */
type Links = { wifi: LinkChange; cellular: LinkChange };

async function currentLinks(lab: string, phone: string): Promise<Links | null> {
  const status = await labStatus(lab);
  const p = status.phones.find((x) => x.name === phone);
  if (!p?.wifi.link || !p.cellular.link) return null;
  const of = (l: NonNullable<typeof p.wifi.link>): LinkChange => ({ up: l.up.params, down: l.down.params });
  return { wifi: of(p.wifi.link), cellular: of(p.cellular.link) };
}

function wantedLinks(network: CampaignNetwork, phone: string): Partial<Links> {
  const out: Partial<Links> = {};
  if (network.profile) {
    const profile = loadProfile(network.profile).phone(phone);
    out.wifi = { up: profile.wifi.up, down: profile.wifi.down };
    out.cellular = { up: profile.cellular.up, down: profile.cellular.down };
  }
  for (const kind of ['wifi', 'cellular'] as const) {
    const extra = network.link?.[kind];
    if (!extra) continue;
    out[kind] = { up: { ...out[kind]?.up, ...extra.up }, down: { ...out[kind]?.down, ...extra.down } };
  }
  return out;
}

/**
 * Tests run with keepPhone: each phone stays in the last test's network and mode, so that the
 * next test changes only what differs; `putBack` restores what each phone had before its first
 * test of the campaign.
 */
export interface RunnerExecutor {
  execute: TestExecutor;
  putBack(phone: CampaignPhone, log: Logger): Promise<void>;
}

export function runnerExecutor(appium: AppiumService | null): RunnerExecutor {
  const before = new Map<string, PhoneBefore>();
  const execute = async (ctx: ExecutorContext): Promise<TestResult> => {
    const scenario = findScenario(ctx.test.scenario);
    if (!scenario) throw new Error(`no scenario ${ctx.test.scenario}`);
    const lab = ctx.phone.lab ? findLabPhone(ctx.phone.device.id) : null;
    const network = ctx.network;
    const known = (ctx.phone.known ??= {});
    const device = new Device(ctx.phone.device, { logger: ctx.log, known });
    let links: Links | null = null;
    let cellularBefore: Awaited<ReturnType<typeof readCellularType>> = null;
    const airplane = async (on: boolean) => {
      await applyNet(device, { airplane: on ? 'on' : 'off', timeoutMs: 30_000 });
    };
    try {
      if (lab && (network.profile || network.link)) {
        links = await currentLinks(lab.lab, lab.phone.name);
        for (const [kind, change] of Object.entries(wantedLinks(network, lab.phone.name)) as ['wifi' | 'cellular', LinkChange][]) await labLink(lab.lab, lab.phone.name, kind, change);
        ctx.log.info({ profile: network.profile, link: network.link }, 'lab links set for the network');
      }
      if (network.cellularType) {
        cellularBefore = await readCellularType(device);
        await applyCellularType(device, network.cellularType, airplane);
      }
      const ownServer = !ctx.phone.sessionUrl;
      const appiumUrl = scenario.ui === false || !appium ? '' : (ctx.phone.sessionUrl ?? (await appium.url()));
      return await runTest({
        scenario,
        device: ctx.phone.device,
        mode: ctx.test.mode as Parameters<typeof runTest>[0]['mode'],
        net: network.net,
        defaultRoute: network.defaultRoute,
        params: ctx.test.params,
        dir: ctx.dir,
        appiumUrl,
        appiumLog: undefined,
        // the campaign's own server is on this machine: point it at the phone's adb server
        capabilities: ownServer ? adbServerCapabilities(ctx.phone.device) : undefined,
        capSeconds: ctx.capSeconds,
        changes: network.changes,
        networkLabel: network.name,
        networkProfile: network.profile,
        onStep: ctx.onStep,
        signal: ctx.signal,
        keepPhone: true,
        known,
        onBefore: (b) => {
          if (!before.has(ctx.phone.device.label)) before.set(ctx.phone.device.label, b);
        },
      });
    } finally {
      if (links && lab) {
        for (const kind of ['wifi', 'cellular'] as const) await labLink(lab.lab, lab.phone.name, kind, { ...links[kind], outage: false }).catch((err: Error) => ctx.log.warn({ err: err.message }, 'lab link not put back'));
      }
      if (network.cellularType && cellularBefore && cellularBefore !== network.cellularType) {
        await applyCellularType(device, cellularBefore, airplane).catch((err: Error) => ctx.log.warn({ err: err.message }, 'cellular type not put back'));
      }
    }
  };
  return {
    execute,
    putBack: async (phone, log) => {
      const b = before.get(phone.device.label);
      if (!b) return;
      before.delete(phone.device.label);
      const done = await restorePhone(new Device(phone.device, { logger: log, known: phone.known }), b, null);
      log.info({ done }, 'phone put back as it was before the campaign');
    },
  };
}

export function runnerRecovery(appium: AppiumService | null): RecoveryActions {
  return async (rung, phone, test, log) => {
    const device = new Device(phone.device, { logger: log, known: phone.known });
    switch (rung) {
      case 'adb': {
        const steps = await device.ensureReady();
        return steps.length ? `adb: ${steps.join('; ')}` : 'adb: the phone answers';
      }
      case 'session':
        return 'a new Appium session with the next test';
      case 'appium':
        if (!appium?.started) return 'no Appium server of this campaign to restart';
        await appium.restart();
        return 'Appium server restarted';
      case 'app': {
        const pkg = findScenario(test.scenario)?.app.package;
        if (!pkg) return 'no app to reset';
        await resetApp(device, pkg);
        return `reset ${pkg}`;
      }
      case 'reboot': {
        await device.server.device(device.serial).reboot();
        await sleep(3_000);
        await device.ensureReady();
        if (!(await device.waitBootCompleted(240_000))) throw new Error('rebooted but sys.boot_completed did not turn 1 within 240 s');
        return 'phone rebooted, boot completed';
      }
    }
  };
}
