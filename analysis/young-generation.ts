import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import type { Steps } from './capture/window.js';

/**
 * Peak memory of a long analysis: V8 doubles the young generation while much of what is allocated
 * survives, up to 16 MiB per semi-space (a new space of 32 MiB), and an analysis of short
 * connections gets there within seconds. Held at 8 MiB per semi-space, the peak RSS on 20,000,
 * 80,000 and 320,000 short connections went from 150, 152 and 162 MiB to 131, 132 and 135 MiB, CPU
 * time 0.96x to 1.02x, within the noise of alternated runs (docs/analyzer.md, "Speed and memory").
 *
 * V8 reads --max-semi-space-size only as it starts, but it reads --semi-space-growth-factor at each
 * growth: the analysis turns growth off once the new space has reached NEW_SPACE_CAP, and back on
 * (V8's default) when the last analysis running in the process ends. A process started with a
 * semi-space flag of its own keeps what it asked for.
 */
const NEW_SPACE_CAP = 16 * 1024 * 1024;
const V8_DEFAULT_GROWTH = 2;

let running = 0;
let capped = false;

function ownSemiSpaceFlags(): boolean {
  const args = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  return args.some((arg) => arg.includes('semi-space') || arg.includes('semi_space'));
}

function newSpaceSize(): number {
  for (const space of getHeapSpaceStatistics()) if (space.space_name === 'new_space') return space.space_size;
  return 0;
}

/** Whether the young generation is being held now (for tests). */
export function youngGenerationCapped(): boolean {
  return capped;
}

/**
 * Runs `steps` with the young generation held at NEW_SPACE_CAP, looked at after every chunk of
 * input (a megabyte: the new space takes a few to grow).
 */
export function* withYoungGenerationCap<T>(steps: Steps<T>): Steps<T> {
  if (ownSemiSpaceFlags()) return yield* steps;
  running++;
  try {
    for (;;) {
      const step = steps.next();
      if (step.done) return step.value;
      if (!capped && newSpaceSize() >= NEW_SPACE_CAP) {
        setFlagsFromString('--semi-space-growth-factor=1');
        capped = true;
      }
      yield step.value;
    }
  } finally {
    steps.return(undefined as T);
    if (--running === 0 && capped) {
      setFlagsFromString(`--semi-space-growth-factor=${V8_DEFAULT_GROWTH}`);
      capped = false;
    }
  }
}
