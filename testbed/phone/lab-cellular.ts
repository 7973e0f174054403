import { resolve } from 'node:path';
import { loadProfile, PROFILES_DIR } from '../lab/profile.js';
import { sendControl } from '../link/control.js';
import type { Technology } from './cellular-technology.js';

/**
 * A lab phone's cellular link follows the technology the phone allows, as a real phone's radio
 * would: 3G (and 2G, the lab has no slower profile) gets testbed/profiles/3g.json's cellular link,
 * 4G 4g.json's, 5G 5g.json's, and "auto" (every type allowed) the lab's own profile's.
 */
export function technologyProfile(technology: Technology, labProfile: string): string {
  if (technology === 'auto') return labProfile;
  return resolve(PROFILES_DIR, `${technology === '2g' ? '3g' : technology}.json`);
}

export function labCellularFollower(opts: { control: string; link: string; labProfile: string; phone: string }): (technology: Technology) => Promise<boolean> {
  return async (technology) => {
    const cellular = loadProfile(technologyProfile(technology, opts.labProfile)).phone(opts.phone).cellular;
    const answer = await sendControl(opts.control, { op: 'set', link: opts.link, up: cellular.up, down: cellular.down });
    if (!answer.ok) throw new Error(`link ${opts.link}: ${answer.error}`);
    return true;
  };
}
