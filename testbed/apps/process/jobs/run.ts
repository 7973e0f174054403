import type { Emit } from '../channel.js';
import type { JobInput } from '../protocol.js';

/** A running job: more input (chat messages, pause), or cancel (the user left, the app stopped it). */
export interface JobRun {
  input?(input: JobInput): void;
  cancel(): void;
}

export type JobStarter<J> = (job: J, emit: Emit) => JobRun;

export function errorText(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  return e.code ? `${e.code}: ${e.message}` : e.message ?? String(error);
}
