import type { Emit } from './channel.js';
import type { JobRun } from './jobs/run.js';
import type { JobEvent, PlayerState } from './protocol.js';

/**
 * A media player's clock: content arrives in pieces (segments, chunks, stream bytes) and is
 * played in real time; when the play position catches up with what arrived, the player stalls
 * (buffering) until `startSeconds` are buffered again. It measures what a viewer experiences:
 * the start-up delay, the number of stalls and the time spent stalled.
 */
export interface PlayerClockOptions {
  /** Seconds that must be buffered before playing starts, and again after a stall. */
  startSeconds: number;
  /** The content's length; null for a live stream, which never ends by itself. */
  durationSeconds: number | null;
  now?: () => number;
}

export class PlayerClock {
  private state: PlayerState = 'buffering';
  private position = 0;
  private received = 0;
  private finished = false;
  private readonly created: number;
  private lastTick: number;
  private startupMs: number | null = null;
  private stalls = 0;
  private stallMs = 0;
  private stalledSince: number | null = null;
  private pausedFrom: PlayerState | null = null;
  bytes = 0;

  constructor(private readonly options: PlayerClockOptions) {
    this.created = this.now();
    this.lastTick = this.created;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** Seconds of content buffered ahead of the play position. */
  get buffered(): number {
    return Math.max(0, this.received - this.position);
  }

  get ended(): boolean {
    return this.state === 'ended';
  }

  /** `seconds` more content arrived (and `bytes` with it). */
  add(seconds: number, bytes = 0): void {
    this.tick();
    this.received += seconds;
    this.bytes += bytes;
    this.tick();
  }

  /** No more content will arrive: play what is buffered, then end. */
  finish(): void {
    this.tick();
    this.finished = true;
    this.tick();
  }

  pause(): void {
    this.tick();
    if (this.state === 'paused' || this.state === 'ended') return;
    this.closeStall();
    this.pausedFrom = this.state;
    this.state = 'paused';
  }

  resume(): void {
    if (this.state !== 'paused') return;
    this.lastTick = this.now();
    this.state = this.pausedFrom === 'playing' ? 'playing' : 'buffering';
    if (this.state === 'buffering' && this.startupMs !== null) this.stalledSince = this.now();
    this.pausedFrom = null;
    this.tick();
  }

  private closeStall(): void {
    if (this.stalledSince !== null) this.stallMs += this.now() - this.stalledSince;
    this.stalledSince = null;
  }

  /** Advances the position to now and changes state where the buffer says so. */
  tick(): void {
    const now = this.now();
    const from = this.lastTick;
    this.lastTick = now;
    if (this.state === 'playing') {
      const reach = this.position + (now - from) / 1000;
      if (reach < this.received) {
        this.position = reach;
      } else {
        // the buffer ran dry during this interval, at this moment
        const dryAt = from + (this.received - this.position) * 1000;
        this.position = this.received;
        if (this.finished || (this.options.durationSeconds !== null && this.position >= this.options.durationSeconds)) {
          this.state = 'ended';
        } else {
          this.state = 'buffering';
          this.stalls += 1;
          this.stalledSince = dryAt;
        }
      }
    }
    if (this.state === 'buffering') {
      const enough = this.buffered >= this.options.startSeconds || (this.finished && this.buffered > 0);
      if (enough) {
        if (this.startupMs === null) this.startupMs = now - this.created;
        this.closeStall();
        this.state = 'playing';
      } else if (this.finished && this.buffered === 0 && this.startupMs !== null) {
        this.closeStall();
        this.state = 'ended';
      }
    }
  }

  snapshot(): Extract<JobEvent, { type: 'player' }> {
    this.tick();
    const stallMs = this.stallMs + (this.stalledSince !== null ? this.now() - this.stalledSince : 0);
    return {
      type: 'player',
      state: this.state,
      position: round(this.position),
      buffered: round(this.buffered),
      startupMs: this.startupMs,
      stalls: this.stalls,
      stallMs,
      bytes: this.bytes,
    };
  }
}

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

/**
 * A player job around its clock: the clock's state four times a second, `each` after every report
 * (to fetch more), pause and resume from the user; once the clock ended, `release` (to let go of
 * connections) and a "done". Cancelling stops the reports and releases.
 */
export function playerJob(clock: PlayerClock, emit: Emit, hooks: { each?: () => void; release: () => void }): JobRun {
  const started = Date.now();
  const timer = setInterval(() => {
    emit(clock.snapshot());
    if (!clock.ended) {
      hooks.each?.();
      return;
    }
    clearInterval(timer);
    hooks.release();
    emit({ type: 'done', bytes: clock.bytes, ms: Date.now() - started });
  }, 250);
  return {
    input: (input) => {
      if (input.type === 'pause') clock.pause();
      else if (input.type === 'resume') clock.resume();
      emit(clock.snapshot());
    },
    cancel: () => {
      clearInterval(timer);
      hooks.release();
    },
  };
}
