import type { VirtualApp } from '../phone/apps.js';
import { dailymotion } from './dailymotion.js';
import { drive } from './drive.js';
import { dropbox } from './dropbox.js';
import { facebook } from './facebook.js';
import { firefox } from './firefox.js';
import { messenger } from './messenger.js';
import { periscope } from './periscope.js';
import { spotify } from './spotify.js';
import { whatsapp } from './whatsapp.js';
import { youtube } from './youtube.js';

/**
 * The ten virtual apps every lab phone has, under the real apps' package names (fresh objects:
 * each phone runs its own). What each does and makes on the network: README, "Virtual apps".
 */
export function virtualApps(): VirtualApp[] {
  return [facebook(), messenger(), dropbox(), drive(), firefox(), spotify(), youtube(), dailymotion(), whatsapp(), periscope()];
}
