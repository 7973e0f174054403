import { missingPrereqs } from '../../common/prereq.js';

export { missingPrereqs };

/**
 * Prerequisites of integration tests. Outside CI a missing one skips the test with the reason;
 * with CI=true it fails the run, so that CI never passes by skipping.
 */
export const inCI = process.env.CI === 'true' || process.env.CI === '1';

/**
 * Use as `describe.skipIf(skipUnless({root: true, commands: ['tshark']}))(...)`. Throws in CI when
 * something is missing; outside CI returns true (skip) and prints why.
 */
export function skipUnless(opts: Parameters<typeof missingPrereqs>[0]): boolean {
  const missing = missingPrereqs(opts);
  if (missing.length === 0) return false;
  const message = `missing prerequisites: ${missing.join(', ')}`;
  if (inCI) throw new Error(`${message} (CI=true: a missing prerequisite fails the run)`);
  console.warn(`skipping: ${message}`);
  return true;
}
