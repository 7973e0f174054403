import { describe, expect, it } from 'vitest';
import { Blocks, DataDir, Dir, Subflow, releaseDataDir, releaseSubflow, takeDataDir, takeSubflow } from '../../../analysis/model.js';
import { RangeSet } from '../../../analysis/ranges.js';

/**
 * Every field of `obj` and of the objects it holds set to something other than it was: a number
 * to another, a boolean flipped, an array or null to an array, as use would leave them. A field
 * added later is covered without touching this test.
 */
function scribble(obj: object, seen = new Set<object>()): void {
  if (seen.has(obj)) return;
  seen.add(obj);
  const o = obj as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    const v = o[key];
    if (typeof v === 'number') o[key] = v === 7.25 ? 8.5 : 7.25;
    else if (typeof v === 'boolean') o[key] = !v;
    else if (v === null || Array.isArray(v)) o[key] = [1.5, 2, 3];
    else if (typeof v === 'object') scribble(v as object, seen);
  }
}

const endpoint = [9, false, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1.75] as const;

describe('pools of the tracker state (model.ts)', () => {
  it('reset() leaves every field of a used object as a new one has it', () => {
    for (const make of [() => new RangeSet(), () => new Blocks(), () => new Dir(), () => new DataDir()]) {
      const used = make();
      scribble(used);
      expect(used).not.toEqual(make());
      used.reset();
      expect(used).toEqual(make());
    }
  });

  it('a subflow taken from the pool is a new subflow with the 4-tuple and time it is given', () => {
    const used = new Subflow(3, ...endpoint);
    scribble(used);
    releaseSubflow(used);
    const taken = takeSubflow(4, ...endpoint);
    expect(taken).toBe(used);
    expect(taken).toEqual(new Subflow(4, ...endpoint));
  });

  it('a data level taken from the pool is a new one', () => {
    const used = new DataDir();
    scribble(used);
    releaseDataDir(used);
    const taken = takeDataDir();
    expect(taken).toBe(used);
    expect(taken).toEqual(new DataDir());
  });
});
