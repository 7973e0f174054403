/**
 * A virtual app's process (bundled into /system/lib/mplab/app.mjs; the phone's daemon starts it
 * as the app's uid: `node app.mjs PACKAGE`). It takes the package's name as its process name (as
 * `ps -A` shows an Android app's), works in the app's data folder, runs the jobs the daemon's
 * screen logic asks for and reports their events; it ends when the daemon closes its stdin.
 */
import { onLines } from '../../../common/lines.js';
import { send } from './channel.js';
import { startJob } from './jobs/index.js';
import { errorText, type JobRun } from './jobs/run.js';
import type { ToProcess } from './protocol.js';

const pkg = process.argv[2] ?? 'app';
process.title = pkg;
try {
  process.chdir(`/data/data/${pkg}`);
} catch {
  // a phone without the folder: stay where started
}

const jobs = new Map<number, JobRun>();

function handle(message: ToProcess): void {
  if ('job' in message) {
    const id = message.id;
    const emit = (event: Parameters<Parameters<typeof startJob>[1]>[0]): void => {
      if (!jobs.has(id)) return;
      send({ id, event });
      if (event.type === 'done' || event.type === 'error') jobs.delete(id);
    };
    jobs.set(id, { cancel: () => undefined });
    try {
      const run = startJob(message.job, emit);
      if (jobs.has(id)) jobs.set(id, run);
    } catch (error) {
      emit({ type: 'error', message: errorText(error) });
    }
  } else if ('input' in message) {
    jobs.get(message.id)?.input?.(message.input);
  } else if ('cancel' in message) {
    const run = jobs.get(message.id);
    jobs.delete(message.id);
    run?.cancel();
  }
}

onLines(process.stdin, (line) => {
  try {
    handle(JSON.parse(line) as ToProcess);
  } catch (error) {
    send({ log: { priority: 'E', tag: 'AppProcess', message: `bad request: ${errorText(error)}` } });
  }
});
// The daemon (the phone's system server) went away: an app does not outlive it.
process.stdin.on('end', () => process.exit(0));
