import type { ScenarioDefinition } from './kit/scenario.js';

/** Every app scenario, by the name `mplab run` takes. */
export const SCENARIOS: readonly ScenarioDefinition[] = [];

export function findScenario(name: string): ScenarioDefinition | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
