/**
 * Byte ranges already sent, for retransmission (TCP sequence numbers of one subflow direction) and
 * reinjection (data sequence numbers of one connection direction, with the subflow that sent them).
 *
 * Memory stays bounded however long the trace: everything below `horizon` counts as sent (it is
 * moved there when the receiver acknowledges it, or when too many holes pile up), and adjacent
 * ranges of the same owner are merged, so an in-order transfer is one range whatever its length.
 */
const MAX_RANGES = 4096;

export class RangeSet {
  /** sorted, disjoint, non-adjacent ranges [starts[i], ends[i]) for i in [lo, starts.length) */
  private starts: number[] = [];
  private ends: number[] = [];
  private owners: number[] = [];
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
    return this.starts.length - this.lo;
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
      const n = this.starts.length;
      if (n > this.lo && this.ends[n - 1] === a && this.owners[n - 1] === owner) {
        this.ends[n - 1] = b;
      } else {
        this.starts.push(a);
        this.ends.push(b);
        this.owners.push(owner);
        if (n + 1 - this.lo > MAX_RANGES) this.collapse();
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
    const starts = this.starts;
    const ends = this.ends;
    const owners = this.owners;
    // first range that ends after a (ranges near the end are the usual case: search backwards)
    let i = starts.length;
    while (i > this.lo && ends[i - 1] > a) i--;
    if (i === starts.length || starts[i] >= b) {
      // no overlap (several subflows filling their own parts of the DSN space): extend or insert in place
      const joinsPrev = i > this.lo && ends[i - 1] === a && owners[i - 1] === owner;
      const joinsNext = i < starts.length && starts[i] === b && owners[i] === owner;
      if (joinsPrev && joinsNext) {
        ends[i - 1] = ends[i];
        starts.splice(i, 1);
        ends.splice(i, 1);
        owners.splice(i, 1);
      } else if (joinsPrev) ends[i - 1] = b;
      else if (joinsNext) starts[i] = a;
      else {
        starts.splice(i, 0, a);
        ends.splice(i, 0, b);
        owners.splice(i, 0, owner);
        if (this.size > MAX_RANGES) this.collapse();
      }
      if (b > this.maxEnd) this.maxEnd = b;
      return this.other;
    }
    // ranges [i, j) overlap or touch [a, b)
    let j = i;
    while (j < starts.length && starts[j] < b) j++;
    const ns: number[] = [];
    const ne: number[] = [];
    const no: number[] = [];
    let cursor = a;
    for (let k = i; k < j; k++) {
      const s = starts[k];
      const e = ends[k];
      if (s > cursor) pushMerged(ns, ne, no, cursor, s, owner);
      const overlap = Math.min(e, b) - Math.max(s, a);
      if (overlap > 0) {
        if (owners[k] === owner) this.same += overlap;
        else this.other += overlap;
      }
      pushMerged(ns, ne, no, s, e, owners[k]);
      cursor = Math.max(cursor, e);
    }
    if (cursor < b) pushMerged(ns, ne, no, cursor, b, owner);
    // merge with the neighbours when they touch with the same owner
    let from = i;
    let to = j;
    if (from > this.lo && ends[from - 1] === ns[0] && owners[from - 1] === no[0]) {
      ns[0] = starts[from - 1];
      from--;
    }
    const last = ns.length - 1;
    if (to < starts.length && starts[to] === ne[last] && owners[to] === no[last]) {
      ne[last] = ends[to];
      to++;
    }
    starts.splice(from, to - from, ...ns);
    ends.splice(from, to - from, ...ne);
    owners.splice(from, to - from, ...no);
    this.maxEnd = Math.max(this.maxEnd, ends[ends.length - 1]);
    if (this.size > MAX_RANGES) this.collapse();
    return this.other + this.same;
  }

  /** Everything below `point` has been acknowledged: forget who sent it, keep that it was sent. */
  acknowledge(point: number): void {
    if (point <= this.horizon) return;
    const starts = this.starts;
    const ends = this.ends;
    let lo = this.lo;
    while (lo < starts.length && ends[lo] <= point) lo++;
    if (lo < starts.length && starts[lo] < point) starts[lo] = point;
    this.lo = lo;
    this.horizon = point;
    if (point > this.maxEnd) this.maxEnd = point;
    if (lo > 1024 && lo * 2 > starts.length) this.compact();
  }

  private collapse(): void {
    const keep = MAX_RANGES / 2;
    const cut = this.starts.length - keep;
    this.acknowledge(this.ends[cut - 1]);
  }

  private compact(): void {
    this.starts.splice(0, this.lo);
    this.ends.splice(0, this.lo);
    this.owners.splice(0, this.lo);
    this.lo = 0;
  }
}

function pushMerged(ns: number[], ne: number[], no: number[], s: number, e: number, owner: number): void {
  const n = ns.length;
  if (n > 0 && ne[n - 1] === s && no[n - 1] === owner) ne[n - 1] = e;
  else {
    ns.push(s);
    ne.push(e);
    no.push(owner);
  }
}
