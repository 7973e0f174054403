import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../../common/errors.js';
import { withTimeout } from '../../common/timeout.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileLogger, type Logger } from '../../common/log.js';
import { phoneCapabilities } from '../appium/capabilities.js';
import { openSession as openAppiumSession } from '../appium/session.js';
import { RESULT_SCHEMA, writeResult, type TestResult, type Verdict } from '../../common/test-result.js';
import { analyzeFiles } from '../../analysis/analyze.js';
import { DirectoryOutput } from '../../analysis/output.js';
import { startCaptureSet, type CaptureSet } from '../../proxy/capture.js';
import { runScenario, ScenarioFailure, ScenarioKit } from '../../scenarios/kit/scenario-kit.js';
import type { ParamValue, ScenarioDefinition } from '../../scenarios/kit/scenario.js';
import type { DeviceConfig } from '../config/devices-file.js';
import { resetApp } from '../devices/app.js';
import { pullPhoneCapture, startPhoneCapture, stopPhoneCapture } from '../devices/capture.js';
import { Device, type KnownPhone } from '../devices/device.js';
import { readPhone, type DeviceStatus, type PhoneReading } from '../devices/status.js';
import type { DefaultIface } from '../devices/network.js';
import type { MptcpMode } from '../devices/mptcp-commands.js';
import { unlessLost, watchAdbServer } from './adb-server-watch.js';
import { findLabPhone, type LabPhone } from './lab-phone.js';
import { NetworkChanges, changesText, type ChangeRequest } from './network-changes.js';
import { checkProxyPath } from './proxy-path.js';
import { rememberPhone, restorePhone, setUpPhone, type NetworkName, type PhoneBefore, type PhoneSetup } from './phone-setup.js';
import { dumpScreen } from './screen-inspect.js';
import { StepRunner, type StepEvent } from './steps.js';

/**
 * One test end to end (DESIGN.md "One test, end to end"): phone healthy; network and MPTCP mode;
 * app reset; captures at the proxy (and on the phone when it is rooted and devices.json allows
 * it); an Appium session; the scenario; captures stopped; `mplab analyze`; the phone put back as
 * it was. Everything lands in one folder: result.json, the captures, the analyzer's files, the
 * Appium and mplab logs, and on failure the evidence (page source, screenshot, logcat).
 */
export interface TestRunOptions {
  scenario: ScenarioDefinition;
  device: DeviceConfig;
  mode: MptcpMode;
  net: NetworkName;
  defaultRoute: DefaultIface;
  params: Record<string, ParamValue>;
  /** The test's folder (created; must not hold an earlier test's result). */
  dir: string;
  /** An Appium server's URL (http://host:port[/path]); the caller starts and stops it. Unused by a scenario with `ui: false`. */
  appiumUrl: string;
  /** The Appium server's log, when it is in the test's folder (relative to it). */
  appiumLog?: string;
  /** Extra capabilities for the session (a Grid's routing, a remote adb server). */
  capabilities?: Record<string, unknown>;
  /** The scenario's time cap in seconds (default 120). */
  capSeconds?: number;
  changes?: ChangeRequest[];
  /** The network condition's name for result.json (a campaign's network); by default the changes as given ("8:wifi-down"), or null without any. */
  networkLabel?: string | null;
  /** The lab profile whose links the caller gave the phone for this test (its file), for result.json. */
  networkProfile?: string | null;
  /** Where to capture at the proxy for a phone outside the lab (the proxy runs on this host). */
  proxyCapture?: { iface: string; netns?: string; log?: string; wifi?: string[]; cellular?: string[] };
  onStep?: (event: StepEvent) => void;
  /**
   * Leave the phone in the test's network and mode instead of putting it back (a campaign puts
   * each phone back once, after its last test; the next test changes only what differs). The
   * state found before the test is still read and returned to `onBefore`.
   */
  keepPhone?: boolean;
  onBefore?: (before: PhoneBefore) => void;
  /** What earlier tests found out about the phone (a campaign's tests on it share one). */
  known?: KnownPhone;
  /** Aborting stops the scenario; the cleanup steps still run. */
  signal?: AbortSignal;
}

export const DEFAULT_CAP_SECONDS = 120;

const STEPS = ['health', 'network', 'reset', 'captures', 'session', 'scenario', 'end session', 'stop captures', 'analysis', 'restore'];

/** The verdict of a failure: the scenario's own failure is "failed", anything else an infrastructure "error". */
export function verdictOf(error: unknown): Verdict {
  return error instanceof ScenarioFailure ? 'failed' : 'error';
}

export async function runTest(options: TestRunOptions): Promise<TestResult> {
  const { scenario, dir } = options;
  mkdirSync(dir, { recursive: true });
  mkdirSync(path.join(dir, 'captures'), { recursive: true });
  const id = path.basename(dir);
  const { logger: log, close: closeLog } = fileLogger('test', { test: id, device: options.device.label, scenario: scenario.name }, path.join(dir, 'mplab.log'));
  const device = new Device(options.device, { logger: log, known: options.known });
  const lab = findLabPhone(options.device.id);
  // a phone whose devices.json entry says how it reaches the proxy has that path checked before the scenario
  const proxyCheck = options.device.proxy ? { server: options.device.proxy.server, log: lab?.proxy.log ?? options.proxyCapture?.log } : null;
  const steps = new StepRunner(STEPS.length + (proxyCheck ? 1 : 0), log, options.onStep);
  const start = Date.now() / 1000;
  const files: TestResult['files'] = { captures: [], proxyLog: null, appiumLog: options.appiumLog ?? null, log: 'mplab.log', evidence: [] };
  const setup: PhoneSetup = { mode: options.mode, net: options.net, defaultRoute: options.defaultRoute };
  const changes = new NetworkChanges(device, lab, log);
  let status: DeviceStatus | undefined;
  let before: PhoneBefore | undefined;
  let proxyCapture: CaptureSet | undefined;
  let phoneCaptureName: string | undefined;
  let driver: WebdriverIO.Browser | undefined;
  let kit: ScenarioKit | undefined;
  let scenarioStart = 0;
  let analysis: TestResult['analysis'] = null;
  const phoneEpochStart = Date.now() / 1000;

  const reading = await steps.run('health', () => checkHealth(device), (r) => `${r.status.model ?? '?'}, Android ${r.status.android ?? '?'}, battery ${r.status.battery.level ?? '?'}%`);
  status = reading?.status;
  if (reading) {
    before = await steps.run('network', async () => {
      const b = await rememberPhone(device, reading);
      options.onBefore?.(b);
      await setUpPhone(device, setup, b, reading.net);
      return b;
    }, () => `mode ${setup.mode}, ${setup.net}${setup.net === 'both' ? `, default route ${setup.defaultRoute}` : ''}`);
  }
  await steps.run('reset', () => resetApp(device, scenario.app.package), () => scenario.app.package);
  // before the captures: the probe's connection is the runner's, not the app's, and must not be counted as one
  if (proxyCheck) {
    await steps.run('proxy path', async () => {
      if (!proxyCheck.log) throw new Error(`devices.json gives ${options.device.label} a proxy (${proxyCheck.server}) but mplab has no log of that proxy to check the path against: give --proxy-log FILE`);
      return checkProxyPath({ device, appPackage: scenario.app.package, proxyLog: proxyCheck.log, proxyServer: proxyCheck.server, log });
    }, (detail) => detail);
  }
  await steps.run('captures', async () => {
    proxyCapture = await startProxyCapture(options, lab, dir, status!);
    if (proxyCapture) files.captures.push(...proxyCapture.files.map((f) => path.relative(dir, f)));
    if (options.device.root && options.device.capture.onPhone) {
      phoneCaptureName = `mplab-${id}`.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 100);
      await startPhoneCapture(device, phoneCaptureName);
    }
    return proxyCapture;
  }, (c) => (c ? `proxy: ${c.files.map((f) => path.basename(f)).join(', ')}${phoneCaptureName ? '; phone: on' : ''}` : 'no proxy capture (not a lab phone and no --capture-iface)'));
  // while the session is made and the scenario runs, Appium's requests wait on the phone's adb server
  const watch = watchAdbServer(device.server);
  if (scenario.ui !== false) {
    driver = await steps.run(
      'session',
      () => unlessLost(openSession(options, lab, log), watch, (late) => void late.deleteSession().catch(() => undefined)),
      () => options.appiumUrl,
    );
  }
  const cap = new AbortController();
  const stopScenario = () => cap.abort(options.signal?.reason ?? 'the run was stopped');
  const hostLost = () => cap.abort(watch.signal.reason);
  options.signal?.addEventListener('abort', stopScenario);
  watch.signal.addEventListener('abort', hostLost);
  await steps.run('scenario', async () => {
    const timer = setTimeout(() => cap.abort(`the scenario ran over its time cap of ${options.capSeconds ?? DEFAULT_CAP_SECONDS} s`), (options.capSeconds ?? DEFAULT_CAP_SECONDS) * 1000);
    scenarioStart = performance.now();
    changes.schedule(options.changes ?? [], scenarioStart);
    try {
      const workDir = path.join(dir, 'work');
      mkdirSync(workDir, { recursive: true });
      kit = new ScenarioKit(scenario, { driver: driver ?? null, phone: phoneAccess(device), params: options.params, log, signal: cap.signal, workDir });
      await runScenario(kit);
    } finally {
      clearTimeout(timer);
      await changes.stop();
    }
  });
  options.signal?.removeEventListener('abort', stopScenario);
  watch.signal.removeEventListener('abort', hostLost);
  watch.stop();
  const lost = watch.lost();

  // After a failure the phone may be gone (its host's adb server silent, the phone unplugged):
  // then nothing below asks it anything, and what goes through Appium is bounded, so that a
  // test caught by a lost host ends soon after, not after each request's own timeout.
  const gone = lost ?? (steps.firstError ? await phoneGone(device) : null);
  if (gone) log.warn({ why: gone }, 'the phone cannot be reached: no evidence from it, the app not stopped');
  // evidence of a failure, while the session is still there
  if (steps.firstError && !gone && (driver || scenario.ui === false)) files.evidence = await collectEvidence(driver ?? null, device, dir, phoneEpochStart, log);
  const crash = steps.firstError && !gone ? await appCrash(device, scenario.app.package, phoneEpochStart) : null;

  await steps.cleanup('end session', async () => {
    if (driver) await withTimeout(driver.deleteSession(), gone ? END_SESSION_GONE_MS : END_SESSION_MS, 'DELETE /session (end of the Appium session)');
  });
  await steps.cleanup('stop captures', async () => {
    // The app is stopped first, so that its connections end inside the capture: a connection cut
    // off by the capture's end has subflows that merely went quiet, which the handover rule
    // (docs/analyzer.md, connections.jsonl `handover`) cannot tell from a subflow that was lost.
    if (proxyCapture && !gone) await stopAppAndSettle(device, scenario.app.package, log);
    const manifest = await proxyCapture?.stop();
    if (phoneCaptureName) {
      await stopPhoneCapture(device, phoneCaptureName);
      const pulled = await pullPhoneCapture(device, phoneCaptureName, path.join(dir, 'captures'));
      files.captures.push(path.relative(dir, pulled.file));
    }
    return manifest;
  }, (m) => (m ? m.captures.map((c) => `${path.basename(c.file)}: ${c.captured ?? '?'} packets, ${c.droppedByKernel ?? '?'} dropped`).join('; ') : undefined));
  await steps.cleanup('analysis', async () => {
    if (!proxyCapture) return null;
    analysis = analyzeCapture(dir, proxyCapture.files, options, lab, status, log, files);
    return analysis;
  }, (a) => (a ? `${a.connections} connections (${a.mptcpConnections} MPTCP), ${a.subflows} subflows, ${a.handovers} handovers` : undefined));
  if (!options.keepPhone) {
    await steps.cleanup('restore', async () => {
      if (before) await restorePhone(device, before, setup);
    });
  }

  const end = Date.now() / 1000;
  const first = steps.firstError;
  // a scenario stopped because the phone's host went away did not fail by itself
  const verdict: Verdict = first ? (lost ? 'error' : crash ? 'failed' : verdictOf(first.error)) : 'passed';
  const result: TestResult = {
    schema: RESULT_SCHEMA,
    id,
    scenario: scenario.name,
    app: { package: scenario.app.package, label: scenario.app.label },
    phone: { id: options.device.id, label: options.device.label, model: status?.model ?? null, android: status?.android ?? null, sdk: status?.sdk ?? null, lab: lab?.lab ?? null },
    mode: options.mode,
    network: { name: options.net, wifi: options.net !== 'cellular', cellular: options.net !== 'wifi', defaultRoute: options.net === 'both' ? options.defaultRoute : options.net, profile: options.networkProfile ?? null, label: options.networkLabel === undefined ? changesText(options.changes ?? []) : options.networkLabel, changes: changes.done },
    params: { ...Object.fromEntries(Object.entries(scenario.params).map(([k, v]) => [k, v.default])), ...options.params },
    start,
    end,
    seconds: Number((end - start).toFixed(3)),
    verdict,
    reason: first ? (lost ?? crash ?? errorMessage(first.error)) : null,
    failedStep: first?.step ?? null,
    steps: steps.records,
    marks: kit?.outcome.marks ?? [],
    measures: kit?.outcome.measures ?? [],
    analysis,
    files,
  };
  writeResult(dir, result);
  log.info({ verdict, reason: result.reason }, 'test finished');
  closeLog();
  return result;
}

async function checkHealth(device: Device): Promise<PhoneReading> {
  const reading = await readPhone(device);
  const { status } = reading;
  if (!status.bootCompleted) throw new Error(`phone ${device.config.label} has not finished booting (sys.boot_completed is not 1)`);
  // a screen that is off or locked takes no input: wake it, and dismiss an insecure keyguard
  if (!status.screen.on || status.screen.locked) {
    await device.shell(['input', 'keyevent', 'KEYCODE_WAKEUP']);
    await device.shell(['wm', 'dismiss-keyguard']);
  }
  return reading;
}

function phoneAccess(device: Device) {
  return {
    shell: async (argv: string[], timeoutMs = 30_000) => {
      const r = await device.shell(argv, { timeoutMs });
      return { exitCode: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
    },
    push: async (local: string, remote: string) => {
      await device.push(local, remote);
    },
    resetApp: async (pkg: string) => {
      await resetApp(device, pkg);
    },
  };
}

function addressPrefix(addresses: readonly string[]): string[] {
  return addresses.map((a) => (a.includes('/') ? a.replace(/\/\d+$/, a.includes(':') ? '/128' : '/32') : `${a}/32`));
}

async function startProxyCapture(options: TestRunOptions, lab: LabPhone | null, dir: string, status: DeviceStatus): Promise<CaptureSet | undefined> {
  const captures = path.join(dir, 'captures');
  if (lab) {
    // the lab's proxy serves every phone of the lab: keep this phone's packets only
    const hosts = [lab.phone.wifi.ip, lab.phone.cellular.ip];
    return startCaptureSet({ dir: captures, name: 'proxy', netns: lab.proxy.netns, ifaces: [lab.proxy.iface], filter: `tcp and (${hosts.map((h) => `host ${h}`).join(' or ')})` });
  }
  const own = options.proxyCapture;
  if (!own) return undefined;
  const hosts = [...status.wifi.ipv4, ...status.mobileData.ipv4].map((a) => a.replace(/\/\d+$/, ''));
  return startCaptureSet({ dir: captures, name: 'proxy', netns: own.netns, ifaces: [own.iface], filter: hosts.length ? `tcp and (${hosts.map((h) => `host ${h}`).join(' or ')})` : 'tcp' });
}

async function openSession(options: TestRunOptions, lab: LabPhone | null, log: Logger): Promise<WebdriverIO.Browser> {
  // a lab phone has the UiAutomator2 server built in: the driver must not try to install its APKs there
  const capabilities = phoneCapabilities({ serial: options.device.id, virtual: lab !== null, newCommandTimeout: 240, extra: options.capabilities });
  return openAppiumSession({ url: options.appiumUrl, capabilities }).catch((error: unknown) => {
    log.error({ err: errorMessage(error) }, 'Appium session failed');
    throw error;
  });
}

/** Each Appium request for evidence, and the session's end: WebdriverIO's own timeout is the session's 120 s. */
const EVIDENCE_MS = 30_000;
const END_SESSION_MS = 30_000;
/** The session's end on a phone that is gone: Appium asks the phone too, and nothing answers. */
const END_SESSION_GONE_MS = 10_000;

/**
 * Why the phone cannot be reached after a failure, or null when it answers. A phone that dropped
 * off is waited for as any command would (device.ensureReady); a silent adb server is found at once.
 */
async function phoneGone(device: Device): Promise<string | null> {
  try {
    await device.ensureReady();
    return null;
  } catch (err) {
    return errorMessage(err);
  }
}

/**
 * Page source, screenshot and the phone's log since the test started, into evidence/. Without an
 * Appium session (a scenario with ui: false) the screen is `uiautomator dump`'s window dump.
 */
async function collectEvidence(driver: WebdriverIO.Browser | null, device: Device, dir: string, since: number, log: Logger): Promise<string[]> {
  const folder = path.join(dir, 'evidence');
  mkdirSync(folder, { recursive: true });
  const saved: string[] = [];
  const save = async (name: string, get: () => Promise<string | Buffer>) => {
    try {
      writeFileSync(path.join(folder, name), await get());
      saved.push(path.join('evidence', name));
    } catch (error) {
      log.warn({ evidence: name, err: errorMessage(error) }, 'evidence not collected');
    }
  };
  if (driver) {
    await save('page-source.xml', () => withTimeout(driver.getPageSource(), EVIDENCE_MS, 'page source'));
    await save('screenshot.png', async () => Buffer.from(await withTimeout(driver.takeScreenshot(), EVIDENCE_MS, 'screenshot'), 'base64'));
  } else {
    await save('window-dump.xml', () => dumpScreen(device));
  }
  await save('logcat.txt', async () => (await device.shell(['logcat', '-d', '-v', 'threadtime', '-b', 'main,system,crash', '-T', since.toFixed(3)], { timeoutMs: 30_000 })).stdout.toString());
  return saved;
}

/** "app crashed: EXCEPTION" when the app's process died of an uncaught exception since `since` (logcat's crash buffer). */
async function appCrash(device: Device, pkg: string, since: number): Promise<string | null> {
  try {
    const text = (await device.shell(['logcat', '-d', '-v', 'threadtime', '-b', 'crash', '-T', since.toFixed(3)], { timeoutMs: 20_000 })).stdout.toString();
    const lines = text.split('\n').map((l) => l.replace(/^.*?AndroidRuntime: ?/, ''));
    const at = lines.findIndex((l) => l.startsWith(`Process: ${pkg},`));
    if (at < 0) return null;
    return `app crashed: ${lines[at + 1]?.trim() || 'FATAL EXCEPTION'} (logcat, crash buffer)`;
  } catch {
    return null;
  }
}

interface SubflowLine {
  iface: 'wifi' | 'cellular' | null;
  bytes: { up: number; down: number };
}

function analyzeCapture(dir: string, captures: string[], options: TestRunOptions, lab: LabPhone | null, status: DeviceStatus | undefined, log: Logger, files: TestResult['files']): TestResult['analysis'] {
  const out = path.join(dir, 'analysis');
  const wifi = lab ? [`${lab.phone.wifi.ip}/32`] : (options.proxyCapture?.wifi ?? addressPrefix(status?.wifi.ipv4 ?? []));
  const cellular = lab ? [`${lab.phone.cellular.ip}/32`] : (options.proxyCapture?.cellular ?? addressPrefix(status?.mobileData.ipv4 ?? []));
  const proxyLog = lab?.proxy.log ?? options.proxyCapture?.log;
  const summary = analyzeFiles(captures, new DirectoryOutput(out), {
    wifi,
    cellular,
    proxyLog: proxyLog ?? undefined,
    progress: false,
    logger: { info: (o, m) => log.info(o, m), warn: (o, m) => log.warn(o, m) },
  });
  if (proxyLog) files.proxyLog = proxyLog;
  const subflows = readFileSync(path.join(out, 'subflows.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as SubflowLine);
  const onCellular = subflows.filter((s) => s.iface === 'cellular').reduce((acc, s) => ({ up: acc.up + s.bytes.up, down: acc.down + s.bytes.down }), { up: 0, down: 0 });
  return {
    dir: 'analysis',
    connections: summary.connections.total,
    mptcpConnections: summary.connections.mptcp,
    subflows: summary.subflows,
    bytes: summary.bytes,
    bytesOnCellular: wifi.length || cellular.length ? onCellular : null,
    handovers: summary.connections.handover,
  };
}

/** How long the app's connections are given to close (FIN through the redirector and the proxy) after it is stopped. */
const SETTLE_MS = 500;

async function stopAppAndSettle(device: Device, pkg: string, log: Logger): Promise<void> {
  const stopped = await device.shell(['am', 'force-stop', pkg], { timeoutMs: 15_000 }).catch((err: unknown) => ({ exitCode: -1, stderr: String(err) }));
  if (stopped.exitCode !== 0) log.warn({ pkg, stderr: String(stopped.stderr) }, 'app not stopped before the captures ended');
  await sleep(SETTLE_MS);
}
