import { getHeapSpaceStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { runSync, type Steps, type Window } from '../../../analysis/capture/window.js';
import { withYoungGenerationCap, youngGenerationCapped } from '../../../analysis/young-generation.js';

const MiB = 1024 * 1024;

function newSpaceSize(): number {
  return getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_size;
}

/** A window whose read does nothing, or fails. */
const idle = { readSync() {} } as unknown as Window;
const failing = {
  readSync() {
    throw new Error('read failed');
  },
} as unknown as Window;

/**
 * Allocates as an analysis does: much of it survives a while (what makes V8 grow the young
 * generation), the oldest let go. Records the largest new space seen after its first steps.
 */
function* allocating(steps: number, last: Window, seen: { largest: number; capped: boolean }): Steps<number> {
  const keep: { n: number; s: string }[] = [];
  for (let i = 0; i < steps; i++) {
    for (let j = 0; j < 40_000; j++) keep.push({ n: j * 0.5, s: `x${j}` });
    if (keep.length > 400_000) keep.splice(0, 200_000);
    seen.capped ||= youngGenerationCapped();
    if (seen.capped) seen.largest = Math.max(seen.largest, newSpaceSize());
    yield i === steps - 1 ? last : idle;
  }
  return keep.length;
}

describe('withYoungGenerationCap', () => {
  it('holds the new space at 16 MiB while an analysis runs, and lets it grow again after', () => {
    // a process that ran other work first may have grown it already, and then there is nothing to show
    expect(newSpaceSize(), 'the new space before the test (this file needs a process of its own)').toBeLessThan(16 * MiB);
    const seen = { largest: 0, capped: false };
    expect(runSync(withYoungGenerationCap(allocating(300, idle, seen)))).toBeGreaterThan(0);
    expect(seen.capped).toBe(true);
    expect(seen.largest).toBeLessThanOrEqual(16 * MiB);
    expect(youngGenerationCapped()).toBe(false);

    // without the cap the same work grows it past 16 MiB (what the cap is for)
    const free = { largest: 0, capped: true };
    runSync(allocating(300, idle, free));
    expect(free.largest).toBeGreaterThan(16 * MiB);
  });

  it('lets go of the cap when a read fails halfway', () => {
    const seen = { largest: 0, capped: false };
    expect(() => runSync(withYoungGenerationCap(allocating(200, failing, seen)))).toThrow('read failed');
    expect(seen.capped).toBe(true);
    expect(youngGenerationCapped()).toBe(false);
  });
});
