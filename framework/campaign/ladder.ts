/**
 * The recovery ladder of a phone after an infrastructure failure (issue 12, "Surviving the
 * night"): each consecutive failure climbs one rung, starting from the rung that fits the step
 * that failed; adb is always checked first (wait and reconnect, never a restart of the adb
 * server). At `unhealthyAfter` consecutive failures the phone is taken out of the campaign.
 * Pure decisions: the runner carries them out (ladder-actions.ts).
 */
export const RUNGS = ['adb', 'session', 'appium', 'app', 'reboot'] as const;
export type Rung = (typeof RUNGS)[number];

export const RUNG_TEXT: Record<Rung, string> = {
  adb: 'wait for adb and reconnect the phone (adb reconnect offline / adb connect)',
  session: 'a new Appium session',
  appium: 'restart the Appium server',
  app: "reset the app (force-stop, clear its data)",
  reboot: 'reboot the phone',
};

export interface LadderInput {
  /** Consecutive infrastructure failures of this phone, this one included (1 = the first). */
  consecutive: number;
  /** The runner's step that failed (health, network, reset, captures, session, scenario, ...), null when unknown. */
  failedStep: string | null;
  unhealthyAfter: number;
  allowReboot: boolean;
}

export interface LadderDecision {
  /** What to do, in order, before the next test on this phone. */
  rungs: Rung[];
  /** The phone is out of the campaign: its remaining tests go elsewhere or are not run. */
  unhealthy: boolean;
  /** Why, in a sentence, for the log and the store. */
  why: string;
}

/** The rung a failure of `step` starts from: adb for the steps that only talk to the phone, the session for the rest. */
function firstRung(step: string | null): number {
  if (step === 'session') return RUNGS.indexOf('session');
  if (step === 'health' || step === 'network' || step === 'restore' || step === 'captures' || step === 'stop captures') return RUNGS.indexOf('adb');
  if (step === 'reset') return RUNGS.indexOf('app');
  return RUNGS.indexOf('session');
}

export function decideRecovery(input: LadderInput): LadderDecision {
  const { consecutive, unhealthyAfter } = input;
  if (consecutive >= unhealthyAfter) {
    return { rungs: [], unhealthy: true, why: `${consecutive} infrastructure failures in a row (unhealthyAfter ${unhealthyAfter}): the phone is taken out of the campaign` };
  }
  let index = Math.min(firstRung(input.failedStep) + consecutive - 1, RUNGS.length - 1);
  // the last chance before the phone is given up is the highest rung
  if (consecutive === unhealthyAfter - 1 && consecutive > 1) index = RUNGS.length - 1;
  let rung: Rung = RUNGS[index];
  if (rung === 'reboot' && !input.allowReboot) rung = 'app';
  const rungs: Rung[] = rung === 'adb' ? ['adb'] : ['adb', rung];
  return { rungs, unhealthy: false, why: `infrastructure failure ${consecutive} of ${unhealthyAfter - 1} allowed in a row${input.failedStep ? ` (step ${input.failedStep})` : ''}: ${rungs.map((r) => RUNG_TEXT[r]).join(', then ')}` };
}
