import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../common/log.js';
import type { NetworkChange } from '../../common/test-result.js';
import { labLink } from '../../testbed/lab/lab.js';
import type { Device } from '../devices/device.js';
import { applyNet } from '../devices/network.js';
import type { LabPhone } from './lab-phone.js';

/**
 * Network changes during a scenario, at a second after it started: a radio lost or back. On a lab
 * phone the access link goes silent first (the phone walks away from the access point: packets
 * in flight are lost) and Android notices a second later and turns the interface off; on a real
 * phone mplab turns the radio off through adb. Both come back with `-up`.
 */
export const CHANGES = ['wifi-down', 'wifi-up', 'cellular-down', 'cellular-up'] as const;
export type ChangeKind = (typeof CHANGES)[number];

export interface ChangeRequest {
  at: number;
  change: ChangeKind;
}

/** "10:wifi-down" */
export function parseChange(text: string): ChangeRequest | string {
  const m = /^(\d+(?:\.\d+)?):([a-z-]+)$/.exec(text);
  if (!m || !(CHANGES as readonly string[]).includes(m[2])) return `expected SECONDS:CHANGE with CHANGE one of ${CHANGES.join(', ')}, e.g. 10:wifi-down; got ${JSON.stringify(text)}`;
  return { at: Number(m[1]), change: m[2] as ChangeKind };
}

/** The changes as `--change` takes them ("8:wifi-down 20:wifi-up"), null when there are none. */
export function changesText(changes: readonly ChangeRequest[]): string | null {
  return changes.length > 0 ? changes.map((c) => `${c.at}:${c.change}`).join(' ') : null;
}

/** How long after a lab link goes silent Android turns the interface off. */
const NOTICE_S = 1;

export class NetworkChanges {
  readonly done: NetworkChange[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly running: Promise<void>[] = [];
  /** Links of the lab put in an outage, to end at cleanup whatever happened. */
  private readonly silenced = new Set<'wifi' | 'cellular'>();
  /** Per radio: the number of its latest change, and its switch turned on and off one at a time, in order. */
  private readonly latest = { wifi: 0, cellular: 0 };
  private readonly switching = { wifi: Promise.resolve(), cellular: Promise.resolve() };

  constructor(
    private readonly device: Device,
    private readonly lab: LabPhone | null,
    private readonly log: Logger,
  ) {}

  /** Schedules the changes relative to now (the scenario's start). */
  schedule(changes: readonly ChangeRequest[], started: number): void {
    for (const c of changes) {
      const timer = setTimeout(() => this.running.push(this.apply(c, started)), c.at * 1000);
      this.timers.push(timer);
    }
  }

  private async apply(c: ChangeRequest, started: number): Promise<void> {
    const [kind, direction] = c.change.split('-') as ['wifi' | 'cellular', 'down' | 'up'];
    const radio = kind === 'wifi' ? 'wifi' : 'data';
    const number = ++this.latest[kind];
    const at = Number(((performance.now() - started) / 1000).toFixed(3));
    this.done.push({ at, change: `${kind} ${direction}` });
    this.log.info({ change: c.change, at }, 'network change');
    try {
      if (direction === 'down') {
        if (this.lab) {
          await labLink(this.lab.lab, this.lab.phone.name, kind, { outage: true });
          this.silenced.add(kind);
          await sleep(NOTICE_S * 1000);
          // the link came back (or changed again) before Android noticed it was gone: the radio stays on
          if (this.latest[kind] !== number) {
            this.log.info({ change: c.change }, `${kind} back within ${NOTICE_S} s: not turned off`);
            return;
          }
        }
        await this.switchRadio(kind, { [radio]: 'off', timeoutMs: 15_000 });
      } else {
        if (this.lab) {
          await labLink(this.lab.lab, this.lab.phone.name, kind, { outage: false });
          this.silenced.delete(kind);
        }
        await this.switchRadio(kind, { [radio]: 'on', timeoutMs: 30_000 });
      }
    } catch (error) {
      this.log.warn({ change: c.change, err: (error as Error).message }, 'network change failed');
    }
  }

  /** Turns a radio on or off after its earlier switches, so that a later change never ends before an earlier one. */
  private switchRadio(kind: 'wifi' | 'cellular', request: Parameters<typeof applyNet>[1]): Promise<unknown> {
    const run = this.switching[kind].then(() => applyNet(this.device, request));
    this.switching[kind] = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Cancels changes not yet made, waits for those under way, ends the lab outages. */
  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    await Promise.allSettled(this.running);
    for (const kind of this.silenced) {
      if (this.lab) await labLink(this.lab.lab, this.lab.phone.name, kind, { outage: false });
    }
    this.silenced.clear();
  }
}
