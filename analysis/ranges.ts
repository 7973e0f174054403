/**
 * Byte ranges already sent, for retransmission (TCP sequence numbers of one subflow direction) and
 * reinjection (data sequence numbers of one connection direction, with the subflow that sent them).
 *
 * Memory stays bounded however long the trace: everything below `horizon` counts as sent (it is
 * moved there when the receiver acknowledges it, or when too many holes pile up), and adjacent
 * ranges of the same owner are merged, so an in-order transfer is one range whatever its length.
 * The ranges live in one flat array of [start, end, owner] triples, created on first use: tens of
 * thousands of connections may be open at once, most with a single range per set.
 */
import type { PackReader, PackWriter } from './packed.js';

const MAX_RANGES = 4096;

export class RangeSet {
  /** sorted, disjoint ranges as triples [start, end, owner] from index `lo` on */
  private r: number[] | null = null;
  private lo = 0;
  /** every byte below this counts as sent; its sender is unknown */
  horizon = -Infinity;
  /** the end of the highest range (or -Infinity) */
  maxEnd = -Infinity;
  /** after add(): bytes that were already sent by another owner, or below the horizon */
  other = 0;
  /** after add(): bytes that were already sent by the same owner */
  same = 0;

  get size(): number {
    return this.r === null ? 0 : (this.r.length - this.lo) / 3;
  }

  /**
   * Records [a, b) as sent by `owner` and returns the bytes of it that had been sent before
   * (split into `same` and `other`). Ranges already present keep their first owner.
   */
  add(a: number, b: number, owner = 0): number {
    this.other = 0;
    this.same = 0;
    if (b <= a) return 0;
    if (a >= this.maxEnd && a >= this.horizon) {
      const r = this.r;
      if (r === null) {
        // an array of exactly one range (most sets never get a second): a first push() would make room for 16
        this.r = [a, b, owner];
        this.maxEnd = b;
        return 0;
      }
      const n = r.length;
      if (n > this.lo && r[n - 2] === a && r[n - 1] === owner) {
        r[n - 2] = b;
      } else if (n === this.lo && n >= 3) {
        // everything was acknowledged: start again at the front rather than grow the array
        r[0] = a;
        r[1] = b;
        r[2] = owner;
        r.length = 3;
        this.lo = 0;
      } else {
        r.push(a, b, owner);
        if (this.size > MAX_RANGES) this.collapse();
      }
      this.maxEnd = b;
      return 0;
    }
    return this.addSlow(a, b, owner);
  }

  private addSlow(a: number, b: number, owner: number): number {
    if (a < this.horizon) {
      const h = Math.min(b, this.horizon);
      this.other += h - a;
      a = h;
      if (a >= b) return this.other;
    }
    if (this.r === null) this.r = [];
    const r = this.r;
    const lo = this.lo;
    // first range that ends after a (ranges near the end are the usual case: search backwards)
    let i = r.length;
    while (i > lo && r[i - 2] > a) i -= 3;
    if (i === r.length || r[i] >= b) {
      // no overlap (several subflows filling their own parts of the DSN space): extend or insert in place
      const joinsPrev = i > lo && r[i - 2] === a && r[i - 1] === owner;
      const joinsNext = i < r.length && r[i] === b && r[i + 2] === owner;
      if (joinsPrev && joinsNext) {
        r[i - 2] = r[i + 1];
        r.splice(i, 3);
      } else if (joinsPrev) r[i - 2] = b;
      else if (joinsNext) r[i] = a;
      else {
        r.splice(i, 0, a, b, owner);
        if (this.size > MAX_RANGES) this.collapse();
      }
      if (b > this.maxEnd) this.maxEnd = b;
      return this.other;
    }
    // ranges from i to j overlap or touch [a, b): rebuild that stretch
    let j = i;
    while (j < r.length && r[j] < b) j += 3;
    const out: number[] = [];
    let cursor = a;
    for (let k = i; k < j; k += 3) {
      const s = r[k];
      const e = r[k + 1];
      if (s > cursor) pushMerged(out, cursor, s, owner);
      const overlap = Math.min(e, b) - Math.max(s, a);
      if (overlap > 0) {
        if (r[k + 2] === owner) this.same += overlap;
        else this.other += overlap;
      }
      pushMerged(out, s, e, r[k + 2]);
      cursor = Math.max(cursor, e);
    }
    if (cursor < b) pushMerged(out, cursor, b, owner);
    // merge with the neighbours when they touch with the same owner
    let from = i;
    let to = j;
    if (from > lo && r[from - 2] === out[0] && r[from - 1] === out[2]) {
      out[0] = r[from - 3];
      from -= 3;
    }
    const last = out.length - 3;
    if (to < r.length && r[to] === out[last + 1] && r[to + 2] === out[last + 2]) {
      out[last + 1] = r[to + 1];
      to += 3;
    }
    r.splice(from, to - from, ...out);
    this.maxEnd = Math.max(this.maxEnd, r[r.length - 2]);
    if (this.size > MAX_RANGES) this.collapse();
    return this.other + this.same;
  }

  /** Drops the array once every range in it has been acknowledged (add() makes a new one as on first use). */
  release(): void {
    if (this.r !== null && this.lo === this.r.length) {
      this.r = null;
      this.lo = 0;
    }
  }

  /** Writes the set's state (the ranges not yet acknowledged; the ones before `lo` are never read again). */
  save(w: PackWriter): void {
    w.list(this.r, this.lo);
    w.num(this.horizon);
    w.num(this.maxEnd);
    w.num(this.other);
    w.num(this.same);
  }

  /** Reads what save() wrote (the same ranges from index 0: add() and acknowledge() give the same results). */
  load(r: PackReader): void {
    this.r = r.list();
    this.lo = 0;
    this.horizon = r.num();
    this.maxEnd = r.num();
    this.other = r.num();
    this.same = r.num();
  }

  /** Back to the state of a new set. */
  reset(): void {
    this.r = null;
    this.lo = 0;
    this.horizon = -Infinity;
    this.maxEnd = -Infinity;
    this.other = 0;
    this.same = 0;
  }

  /** Everything below `point` has been acknowledged: forget who sent it, keep that it was sent. */
  acknowledge(point: number): void {
    if (point <= this.horizon) return;
    const r = this.r;
    if (r !== null) {
      let lo = this.lo;
      while (lo < r.length && r[lo + 1] <= point) lo += 3;
      if (lo < r.length && r[lo] < point) r[lo] = point;
      this.lo = lo;
      if (lo > 3072 && lo * 2 > r.length) {
        r.splice(0, lo);
        this.lo = 0;
      }
    }
    this.horizon = point;
    if (point > this.maxEnd) this.maxEnd = point;
  }

  private collapse(): void {
    const r = this.r!;
    // keep the newest half of the ranges
    const cut = r.length - (MAX_RANGES / 2) * 3;
    this.acknowledge(r[cut - 2]);
  }
}

function pushMerged(out: number[], s: number, e: number, owner: number): void {
  const n = out.length;
  if (n > 0 && out[n - 2] === s && out[n - 1] === owner) out[n - 2] = e;
  else out.push(s, e, owner);
}
