/** Runs on the phone (bundled into /system/lib/mplab/sync.mjs): one sync session on stdin/stdout. */
import { serveSync } from './sync-server.js';

serveSync(process.stdin, process.stdout).then(
  () => process.stdout.end(() => process.exit(0)),
  (error: Error) => {
    process.stderr.write(`sync: ${error.message}\n`);
    process.exit(1);
  },
);
