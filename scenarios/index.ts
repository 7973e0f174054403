import type { ScenarioDefinition } from './kit/scenario.js';
import { settings } from './settings.js';

/** Every app scenario, by the name `mplab run` takes. */
export const SCENARIOS: readonly ScenarioDefinition[] = [settings];

export function findScenario(name: string): ScenarioDefinition | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
