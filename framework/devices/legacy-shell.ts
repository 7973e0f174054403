import { randomBytes } from 'node:crypto';
import { shQuote } from './quote.js';

/**
 * adb's legacy `shell:` service returns no exit status and merges stderr into stdout. The wrapper
 * first reads a random nonce from its stdin (`stdinLine`, which the caller writes once the shell
 * is open), runs the script under `sh -c` with stdin from /dev/null, then prints a line with a
 * marker made of that nonce and `$?`. The nonce is never in a command line or an environment, so
 * the script cannot learn it, not even from its parent's /proc/PID/cmdline: its output cannot
 * forge the marker, and a script that kills its shell leaves none (the caller then sees a cut
 * connection). Only a marker that ends the output counts.
 */
export interface LegacyWrapped {
  command: string;
  nonce: string;
  /** what the caller writes to the shell's stdin: the nonce and a newline */
  stdinLine: string;
}

export function wrapLegacy(script: string): LegacyWrapped {
  const nonce = randomBytes(8).toString('hex');
  const command = `IFS= read -r mplab_nonce; sh -c ${shQuote(script)} </dev/null; printf '\\n%s%s:%d\\n' MPLABEXIT "$mplab_nonce" "$?"`;
  return { command, nonce, stdinLine: `${nonce}\n` };
}

/** Splits the command's output from the marker. null when the marker never came (the shell was cut off). */
export function parseLegacy(output: Buffer, nonce: string): { stdout: Buffer; exitCode: number } | null {
  // a shell on a terminal that echoes its input (older phones) shows the nonce line first
  const echo = new RegExp(`^${nonce}\\r?\\n`).exec(output.subarray(0, 64).toString('latin1'));
  const body = echo ? output.subarray(echo[0].length) : output;
  const tail = body.subarray(Math.max(0, body.length - 64)).toString('latin1');
  const re = new RegExp(`\\r?\\nMPLABEXIT${nonce}:(\\d+)\\r?\\n$`);
  const m = re.exec(tail);
  if (!m) return null;
  const markerBytes = tail.length - m.index;
  return { stdout: body.subarray(0, body.length - markerBytes), exitCode: Number(m[1]) };
}
