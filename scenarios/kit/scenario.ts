import type {} from 'webdriverio';
import type { Logger } from '../../common/log.js';
import type { Measure } from '../../common/test-result.js';
import type { ScenarioKit } from './scenario-kit.js';

/**
 * An app scenario: which app, what it does, its parameters, and the steps, written against the
 * shared kit (scenario-kit.ts). One module per app in scenarios/, registered in scenarios/index.ts.
 */
export type ParamValue = string | number | boolean;

export interface ParamSpec {
  default: ParamValue;
  description: string;
}

export interface ScenarioDefinition {
  /** The name `mplab run` takes: lower case, e.g. "whatsapp". */
  name: string;
  app: { package: string; label: string };
  /** What the scenario does, in a sentence or two (REFERENCE.md section 1). */
  description: string;
  /** Which app version the selectors were taken from, and what they ran against. */
  selectorsFrom: string;
  params: Record<string, ParamSpec>;
  /** false: the scenario works through adb alone (shell, input, uiautomator dump) and gets no Appium session. Default true. */
  ui?: boolean;
  /** Work before the app opens: files on the phone the scenario will use (adb, no UI). */
  prepare?(kit: ScenarioKit): Promise<void>;
  run(kit: ScenarioKit): Promise<void>;
}

export function defineScenario(definition: ScenarioDefinition): ScenarioDefinition {
  return definition;
}

/** What a scenario gives back: its marks and measures, kept by the kit as they happen. */
export interface ScenarioOutcome {
  marks: { name: string; t: number }[];
  measures: Measure[];
}

/** Phone access a scenario may need besides the UI (adb): shell commands, files, app reset. */
export interface PhoneAccess {
  /** Runs a command (an argv, each word quoted for the phone's shell); resolves with its output and status. */
  shell(argv: string[], timeoutMs?: number): Promise<{ exitCode: number; stdout: string; stderr: string }>;
  push(local: string, remote: string): Promise<void>;
  /** force-stop and clear the app's data (pm clear). */
  resetApp(pkg: string): Promise<void>;
}

export interface ScenarioEnvironment {
  /** null for a scenario that declares `ui: false`. */
  driver: WebdriverIO.Browser | null;
  phone: PhoneAccess;
  params: Record<string, ParamValue>;
  log: Logger;
  /** Aborted when the test's time cap is reached or the run is stopped. */
  signal: AbortSignal;
  /** A folder for the scenario's own files (e.g. a file it made to upload). */
  workDir: string;
}
