import { seededRandom } from '../../common/random.js';
import { DIRECTIONS, withDefaults, type Direction, type DirectionParams } from './params.js';
import { DirectionScheduler, type DirectionCounters, type Random } from './scheduler.js';
import { readTrace, type DeliveryTrace } from './trace.js';
import { monotonicMs, TunDevice, type TunStats } from './tun.js';

/**
 * The emulated access links of one lab: each link has two directions, each direction a TUN
 * device (the lab's routing sends the direction's packets into it) and a scheduler.
 */
export interface LinkSpec {
  /** "phone1.wifi" */
  name: string;
  devices: Record<Direction, string>;
  up: DirectionParams;
  down: DirectionParams;
  outage: boolean;
}

export interface LinkChange {
  up?: Partial<DirectionParams>;
  down?: Partial<DirectionParams>;
  outage?: boolean;
}

export interface DirectionStatus {
  device: string;
  params: DirectionParams;
  counters: DirectionCounters;
  queued: number;
  tun: TunStats;
}

export interface LinkStatus {
  name: string;
  outage: boolean;
  up: DirectionStatus;
  down: DirectionStatus;
}

export { seededRandom };

class EmulatedDirection {
  readonly scheduler: DirectionScheduler;
  readonly tun: TunDevice;

  constructor(
    readonly device: string,
    params: DirectionParams,
    random: Random,
  ) {
    this.scheduler = new DirectionScheduler(params, loadTrace(params), monotonicMs(), random);
    this.tun = new TunDevice(device, (arrival, size) => this.scheduler.admit(arrival, size));
  }

  status(): DirectionStatus {
    return {
      device: this.device,
      params: this.scheduler.current,
      counters: structuredClone(this.scheduler.counters),
      queued: this.scheduler.queued(monotonicMs()),
      tun: this.tun.stats(),
    };
  }
}

function loadTrace(params: DirectionParams): DeliveryTrace | null {
  return params.trace ? readTrace(params.trace) : null;
}

export class LinkEmulator {
  private readonly links = new Map<string, { outage: boolean; directions: Record<Direction, EmulatedDirection> }>();

  constructor(specs: readonly LinkSpec[], random: Random = seededRandom()) {
    for (const spec of specs) {
      const directions = {
        up: new EmulatedDirection(spec.devices.up, spec.up, random),
        down: new EmulatedDirection(spec.devices.down, spec.down, random),
      };
      this.links.set(spec.name, { outage: false, directions });
      if (spec.outage) this.change(spec.name, { outage: true });
    }
  }

  start(): void {
    for (const link of this.links.values()) for (const d of DIRECTIONS) link.directions[d].tun.start();
  }

  names(): string[] {
    return [...this.links.keys()];
  }

  /** Changes a running link: new parameters apply to the packets that arrive from now on. */
  change(name: string, change: LinkChange): LinkStatus {
    const link = this.links.get(name);
    if (!link) throw new Error(`no link named ${JSON.stringify(name)} (links: ${this.names().join(', ')})`);
    const now = monotonicMs();
    for (const d of DIRECTIONS) {
      const partial = change[d];
      if (!partial) continue;
      const direction = link.directions[d];
      const params = withDefaults(partial, direction.scheduler.current);
      const trace = 'trace' in partial ? loadTrace(params) : direction.scheduler.currentTrace;
      direction.scheduler.configure(params, trace, now);
    }
    if (change.outage !== undefined && change.outage !== link.outage) {
      link.outage = change.outage;
      for (const d of DIRECTIONS) {
        link.directions[d].scheduler.setOutage(change.outage);
        if (change.outage) link.directions[d].tun.flush();
      }
    }
    return this.status(name);
  }

  status(name: string): LinkStatus {
    const link = this.links.get(name);
    if (!link) throw new Error(`no link named ${JSON.stringify(name)}`);
    return { name, outage: link.outage, up: link.directions.up.status(), down: link.directions.down.status() };
  }

  statusAll(): LinkStatus[] {
    return this.names().map((name) => this.status(name));
  }

  close(): void {
    for (const link of this.links.values()) for (const d of DIRECTIONS) link.directions[d].tun.close();
  }
}
