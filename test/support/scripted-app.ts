import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { onLines } from '../../common/lines.js';
import { log } from '../../common/log.js';
import { AppProcess, type AppLauncher } from '../../testbed/phone/app-process.js';
import type { UiNode, VirtualApp } from '../../testbed/phone/apps.js';
import { defaultState } from '../../testbed/phone/state.js';
import { PhoneSystem } from '../../testbed/phone/system.js';
import type { Job, JobEvent, JobInput } from '../../testbed/apps/process/protocol.js';

/**
 * Unit tests of the virtual apps' screen logic: the phone's system in this process, an app's
 * process played by the test (it sees the jobs the app asks for, over the real channel code,
 * and answers with the events it chooses), and a driver that finds views as UiAutomator would
 * and touches them at their centres.
 */
export class ScriptedProcess {
  readonly jobs: Array<{ id: number; job: Job }> = [];
  readonly inputs: Array<{ id: number; input: JobInput }> = [];
  readonly cancelled: number[] = [];
  readonly child: ChildProcess;
  private readonly stdout = new PassThrough();

  constructor(pid: number) {
    const stdin = new PassThrough();
    const child = Object.assign(new EventEmitter(), {
      pid,
      stdin,
      stdout: this.stdout,
      stderr: new PassThrough(),
      exitCode: null as number | null,
      signalCode: null as NodeJS.Signals | null,
      kill(signal: NodeJS.Signals = 'SIGTERM') {
        child.signalCode = signal;
        queueMicrotask(() => child.emit('exit', null, signal));
        return true;
      },
    });
    this.child = child as unknown as ChildProcess;
    onLines(stdin, (line) => {
      const message = JSON.parse(line) as { id: number; job?: Job; input?: JobInput; cancel?: true };
      if (message.job) this.jobs.push({ id: message.id, job: message.job });
      else if (message.input) this.inputs.push({ id: message.id, input: message.input });
      else if (message.cancel) this.cancelled.push(message.id);
    });
  }

  /** The last job of this kind the app asked for. */
  last<K extends Job['kind']>(kind: K): { id: number; job: Extract<Job, { kind: K }> } {
    const found = [...this.jobs].reverse().find((j) => j.job.kind === kind);
    if (!found) throw new Error(`the app asked for no ${kind} job (jobs: ${this.jobs.map((j) => j.job.kind).join(', ') || 'none'})`);
    return found as { id: number; job: Extract<Job, { kind: K }> };
  }

  event(id: number, event: JobEvent): void {
    this.stdout.write(`${JSON.stringify({ id, event })}\n`);
  }
}

/** Lets the streams between the system and the scripted process deliver what was written. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 5));
}

export interface Selector {
  id?: string;
  text?: string | RegExp;
  desc?: string | RegExp;
}

function matches(value: string | undefined, wanted: string | RegExp | undefined): boolean {
  if (wanted === undefined) return true;
  return typeof wanted === 'string' ? value === wanted : wanted.test(value ?? '');
}

export class ScriptedPhone {
  readonly system: PhoneSystem;
  readonly processes = new Map<string, ScriptedProcess>();
  private nextPid = 20_000;

  constructor(apps: VirtualApp[]) {
    const logger = log('test');
    logger.level = 'silent';
    const launch: AppLauncher = (pkg) => {
      const proc = new ScriptedProcess(this.nextPid++);
      this.processes.set(pkg, proc);
      return new AppProcess(proc.child, pkg);
    };
    const dir = mkdtempSync(path.join(tmpdir(), 'mplabt-apps-'));
    this.system = new PhoneSystem({ identity: { name: 'p', product: 'p', model: 'M', device: 'd', serialno: 'S', rooted: true }, netns: 'mplabt-unused', dir, interfaces: { wifi: 'wlan0', cellular: 'rmnet0' }, apps, launchApp: launch, logger });
    this.system.state = defaultState({ name: 'p', model: 'M' });
  }

  process(pkg: string): ScriptedProcess {
    const proc = this.processes.get(pkg);
    if (!proc) throw new Error(`${pkg} has no process`);
    return proc;
  }

  start(pkg: string): ScriptedProcess {
    if (!this.system.startActivity(pkg)) throw new Error(`cannot start ${pkg}`);
    return this.process(pkg);
  }

  nodes(): UiNode[] {
    const out: UiNode[] = [];
    const walk = (n: UiNode): void => {
      out.push(n);
      n.children?.forEach(walk);
    };
    const root = this.system.screenHierarchy().root;
    if (root) walk(root);
    return out;
  }

  find(selector: Selector): UiNode | undefined {
    return this.nodes().find((n) => (selector.id === undefined || n.resourceId === selector.id) && matches(n.text, selector.text) && matches(n.contentDesc, selector.desc));
  }

  get(selector: Selector): UiNode {
    const node = this.find(selector);
    if (!node) throw new Error(`no view ${JSON.stringify(selector, (_k, v: unknown) => (v instanceof RegExp ? String(v) : v))} on the screen; ids: ${[...new Set(this.nodes().map((n) => n.resourceId).filter(Boolean))].join(' ')}`);
    return node;
  }

  tap(selector: Selector): UiNode {
    const node = this.get(selector);
    const [l, t, r, b] = node.bounds;
    this.system.tap(Math.floor((l + r) / 2), Math.floor((t + b) / 2));
    return node;
  }

  /** Swipes up on the view (its content scrolls down) until `selector` shows; false when the list ends first. */
  scrollTo(list: Selector, selector: Selector): UiNode {
    for (let i = 0; i < 30; i++) {
      const found = this.find(selector);
      if (found) return found;
      const [l, t, r, b] = this.get(list).bounds;
      const x = Math.floor((l + r) / 2);
      if (!this.system.swipe(x, b - 50, x, t + 50, 300)) break;
    }
    return this.get(selector);
  }

  type(text: string): void {
    this.system.text(text);
  }

  key(keycode: number): void {
    this.system.key(keycode);
  }
}
