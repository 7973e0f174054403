import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { ScenarioKit } from './scenario-kit.js';
import type { Selector } from './selectors.js';

/**
 * The upload scenarios (Dropbox, Drive): a fresh file of random bytes put in the phone's Download
 * folder before the app opens, picked in the system's file picker, uploaded, timed from the pick to
 * the app saying it is done.
 */
export const DOWNLOADS = '/sdcard/Download';
const PICKER_ITEM = (name: string) => ({ id: 'android:id/title', text: name });

/** The fresh file's name: one per test (the test's folder names it), so phones running at once do not share one. */
export function freshFileName(kit: ScenarioKit): string {
  const test = path.basename(path.dirname(kit.env.workDir)).replace(/[^A-Za-z0-9_.-]/g, '_').slice(-40);
  return `mplab-${test}.bin`;
}

export async function putFreshFile(kit: ScenarioKit, name: string, megabytes: number): Promise<void> {
  await kit.pushFile(name, randomBytes(Math.round(megabytes * 1_000_000)), `${DOWNLOADS}/${name}`);
}

/** Opens the picker through `open`, picks `name`, and waits for `done` (up to `timeoutS`). */
export async function uploadPicked(kit: ScenarioKit, name: string, open: Selector[], done: Selector, timeoutS: number): Promise<void> {
  for (const step of open) await kit.tap(step);
  kit.mark('upload-start');
  await kit.tap(PICKER_ITEM(name));
  await kit.find(done, timeoutS);
  kit.mark('upload-done');
  kit.measureSeconds('upload-time', kit.between('upload-start', 'upload-done'), { item: name });
}
