import { createRequire } from 'node:module';

/**
 * The TUN device I/O of the link emulator, from the project's native addon (native/tun_link.c):
 * a reader thread stamps and queues the device's packets, JavaScript gives each one a verdict
 * (drop, or write back at a monotonic time), a writer thread writes them back on time.
 */
export interface TunStats {
  readPackets: number;
  readBytes: number;
  writtenPackets: number;
  writtenBytes: number;
  droppedPackets: number;
  overflowPackets: number;
  writeErrors: number;
  queuedPackets: number;
  /** how late (ms) the writer was at most since the previous stats() */
  maxLatenessMs: number;
}

declare const handleBrand: unique symbol;
type Handle = { readonly [handleBrand]: true };

interface Native {
  open(ifname: string, limit?: number): Handle;
  start(handle: Handle, onPackets: () => void): void;
  take(handle: Handle, sizes: Uint32Array, arrivals: Float64Array): number;
  verdict(handle: Handle, releases: Float64Array, n: number): void;
  flush(handle: Handle): number;
  stats(handle: Handle): TunStats;
  close(handle: Handle): void;
  now(): number;
}

let native: Native | undefined;
function addon(): Native {
  if (!native) native = createRequire(import.meta.url)('../../build/Release/tun_link.node') as Native;
  return native;
}

/** Milliseconds on the clock the addon stamps packets with (CLOCK_MONOTONIC). */
export function monotonicMs(): number {
  return addon().now();
}

const BATCH = 256;

/**
 * One TUN device of the calling process's network namespace. `decide(arrival, size)` returns
 * the time (ms, monotonic) to write the packet back at, or a negative number to drop it.
 */
export class TunDevice {
  private readonly handle: Handle;
  private readonly sizes = new Uint32Array(BATCH);
  private readonly arrivals = new Float64Array(BATCH);
  private readonly releases = new Float64Array(BATCH);
  private closed = false;

  constructor(
    readonly ifname: string,
    private readonly decide: (arrival: number, size: number) => number,
  ) {
    this.handle = addon().open(ifname);
  }

  start(): void {
    addon().start(this.handle, () => this.pump());
  }

  /** Drops the packets scheduled but not yet written (an outage loses what is in flight). */
  flush(): number {
    return addon().flush(this.handle);
  }

  stats(): TunStats {
    return addon().stats(this.handle);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    addon().close(this.handle);
  }

  private pump(): void {
    if (this.closed) return;
    const a = addon();
    for (;;) {
      const n = a.take(this.handle, this.sizes, this.arrivals);
      if (n === 0) return;
      for (let i = 0; i < n; i++) this.releases[i] = this.decide(this.arrivals[i], this.sizes[i]);
      a.verdict(this.handle, this.releases, n);
      if (n < BATCH) return;
    }
  }
}
