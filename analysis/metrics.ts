/**
 * Connection-level metrics of REFERENCE.md section 2 as pure functions of per-subflow facts, so
 * that each can be tested on its own.
 */

export interface HandoverInput {
  /** carried data in either direction */
  used: boolean;
  /** LA: time of the last non-RST ACK the phone sent on it, or -1 */
  lastClientAck: number;
  /** LP: time of the last data segment on it that was not a retransmission, or -1 */
  lastNewData: number;
  /** the phone sent a FIN on it */
  clientFin: boolean;
}

/**
 * Handover (Section 2.3.5.6): among the subflows that carried data, there are k != l such that
 * the phone sent no FIN on k, LA_l > LA_k and LP_l > LA_k: subflow k went silent while l kept
 * being acknowledged and carried new data after k's last acknowledgment.
 */
export function hasHandover(subflows: readonly HandoverInput[]): boolean {
  for (const k of subflows) {
    if (!k.used || k.clientFin || k.lastClientAck < 0) continue;
    for (const l of subflows) {
      if (!l.used || l === k) continue;
      if (l.lastClientAck > k.lastClientAck && l.lastNewData > k.lastClientAck) return true;
    }
  }
  return false;
}

export interface RttStats {
  avgMs: number | null;
  minMs: number | null;
  maxMs: number | null;
  stdMs: number | null;
  samples: number;
}

export function rttStats(samples: number, sum: number, sumSq: number, min: number, max: number): RttStats {
  if (samples === 0) return { avgMs: null, minMs: null, maxMs: null, stdMs: null, samples: 0 };
  const avg = sum / samples;
  const variance = Math.max(0, sumSq / samples - avg * avg);
  return { avgMs: round3(avg), minMs: round3(min), maxMs: round3(max), stdMs: round3(Math.sqrt(variance)), samples };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Six decimals: shares, and epoch seconds to the microsecond. */
export function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** Epoch seconds to the microsecond. */
export const roundTime = round6;
