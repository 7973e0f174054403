import { effectiveQueuePackets, type DirectionParams } from './params.js';
import { firstOpportunityAtOrAfter, MTU_BYTES, opportunityTime, type DeliveryTrace } from './trace.js';

/**
 * The link emulator's scheduler for one direction of one link: for each packet, given its
 * arrival time and size, it decides whether the packet is lost and otherwise when it leaves the
 * far end of the link. The model, in the order a packet meets it:
 *   1. outage: while the link is down every packet is lost;
 *   2. loss: random (Bernoulli) and bursty (Gilbert-Elliott) loss;
 *   3. bottleneck: a FIFO drop-tail queue served at `rateKbit`, or by the delivery
 *      opportunities of a Mahimahi trace;
 *   4. propagation: `delayMs` ± `jitterMs` (uniform), never reordering packets.
 * Times are milliseconds on one monotonic clock. Pure logic: no I/O, an injectable random source.
 */
export type Random = () => number;

export type DropReason = 'outage' | 'loss' | 'queue';

export interface DirectionCounters {
  packets: number;
  bytes: number;
  delivered: number;
  deliveredBytes: number;
  dropped: Record<DropReason, number>;
}

export const DROP = -1;

export class DirectionScheduler {
  private params: DirectionParams;
  private trace: DeliveryTrace | null;
  private traceEpoch = 0;
  private queueLimit: number;
  /** departure times (ms) from the bottleneck of the packets still in it, oldest first */
  private departures: number[] = [];
  private departuresHead = 0;
  private busyUntil = 0;
  private lastRelease = 0;
  private opportunity = 0;
  private opportunityLeft = 0;
  private badState = false;
  private outage = false;
  readonly counters: DirectionCounters = { packets: 0, bytes: 0, delivered: 0, deliveredBytes: 0, dropped: { outage: 0, loss: 0, queue: 0 } };

  constructor(
    params: DirectionParams,
    trace: DeliveryTrace | null,
    now: number,
    private readonly random: Random = Math.random,
  ) {
    this.params = params;
    this.trace = trace;
    this.queueLimit = effectiveQueuePackets(params, trace?.averageKbit ?? null);
    this.restartTrace(now);
  }

  get current(): DirectionParams {
    return this.params;
  }

  get currentTrace(): DeliveryTrace | null {
    return this.trace;
  }

  /** Packets admitted to the bottleneck and not yet through it at time `now`. */
  queued(now: number): number {
    this.expire(now);
    return this.departures.length - this.departuresHead;
  }

  /**
   * New parameters apply to packets arriving from now on; packets already scheduled keep their
   * times, and order is kept (a shorter delay cannot overtake earlier packets).
   */
  configure(params: DirectionParams, trace: DeliveryTrace | null, now: number): void {
    const traceChanged = trace !== this.trace;
    this.params = params;
    this.trace = trace;
    this.queueLimit = effectiveQueuePackets(params, trace?.averageKbit ?? null);
    if (traceChanged) this.restartTrace(now);
    if (!params.burstLoss) this.badState = false;
  }

  setOutage(down: boolean): void {
    this.outage = down;
  }

  /** The time the packet leaves the link (ms), or DROP. */
  admit(arrival: number, size: number): number {
    const c = this.counters;
    c.packets += 1;
    c.bytes += size;
    if (this.outage) {
      c.dropped.outage += 1;
      return DROP;
    }
    if (this.lost()) {
      c.dropped.loss += 1;
      return DROP;
    }
    this.expire(arrival);
    if (this.departures.length - this.departuresHead >= this.queueLimit) {
      c.dropped.queue += 1;
      return DROP;
    }
    const departure = this.trace ? this.traceDeparture(arrival, size) : this.rateDeparture(arrival, size);
    if (departure > arrival) this.departures.push(departure);
    let release = departure + this.params.delayMs;
    if (this.params.jitterMs > 0) release += (2 * this.random() - 1) * this.params.jitterMs;
    if (release < arrival) release = arrival;
    if (release < this.lastRelease) release = this.lastRelease;
    this.lastRelease = release;
    c.delivered += 1;
    c.deliveredBytes += size;
    return release;
  }

  private lost(): boolean {
    const p = this.params;
    if (p.lossPct > 0 && this.random() * 100 < p.lossPct) return true;
    const burst = p.burstLoss;
    if (!burst) return false;
    if (this.badState) {
      if (this.random() * 100 < burst.exitPct) this.badState = false;
    } else if (this.random() * 100 < burst.enterPct) {
      this.badState = true;
    }
    return this.badState && this.random() * 100 < burst.lossPct;
  }

  private rateDeparture(arrival: number, size: number): number {
    const rate = this.params.rateKbit;
    if (rate === null) return arrival;
    const start = arrival > this.busyUntil ? arrival : this.busyUntil;
    // kbit/s = bit/ms
    this.busyUntil = start + (size * 8) / rate;
    return this.busyUntil;
  }

  /**
   * Mahimahi's rule: each opportunity carries up to MTU_BYTES of the queue's bytes, a packet may
   * span opportunities, and an opportunity that finds the queue empty is wasted.
   */
  private traceDeparture(arrival: number, size: number): number {
    const trace = this.trace!;
    const t = arrival - this.traceEpoch;
    // the current opportunity passed while the queue was empty: its remaining bytes are wasted
    if (opportunityTime(trace, this.opportunity) < t) {
      this.opportunity = firstOpportunityAtOrAfter(trace, t);
      this.opportunityLeft = MTU_BYTES;
    }
    let need = size;
    while (need > this.opportunityLeft) {
      need -= this.opportunityLeft;
      this.opportunity += 1;
      this.opportunityLeft = MTU_BYTES;
    }
    this.opportunityLeft -= need;
    const departure = this.traceEpoch + opportunityTime(trace, this.opportunity);
    if (this.opportunityLeft === 0) {
      this.opportunity += 1;
      this.opportunityLeft = MTU_BYTES;
    }
    return departure;
  }

  private restartTrace(now: number): void {
    this.traceEpoch = now;
    this.opportunity = 0;
    this.opportunityLeft = MTU_BYTES;
  }

  private expire(now: number): void {
    const d = this.departures;
    while (this.departuresHead < d.length && d[this.departuresHead] <= now) this.departuresHead += 1;
    if (this.departuresHead > 4096 && this.departuresHead * 2 > d.length) {
      this.departures = d.slice(this.departuresHead);
      this.departuresHead = 0;
    }
  }
}
