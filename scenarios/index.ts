import { dailymotion } from './dailymotion.js';
import { drive } from './drive.js';
import { dropbox } from './dropbox.js';
import { facebook } from './facebook.js';
import { firefox } from './firefox.js';
import type { ScenarioDefinition } from './kit/scenario.js';
import { messenger } from './messenger.js';
import { periscope } from './periscope.js';
import { settings } from './settings.js';
import { spotify } from './spotify.js';
import { whatsapp } from './whatsapp.js';
import { youtube } from './youtube.js';

/** Every app scenario, by the name `mplab run` takes. */
export const SCENARIOS: readonly ScenarioDefinition[] = [facebook, messenger, dropbox, drive, firefox, spotify, youtube, dailymotion, whatsapp, periscope, settings];

export function findScenario(name: string): ScenarioDefinition | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
