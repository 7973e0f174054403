import { randomBytes } from 'node:crypto';
import { shQuote } from './quote.js';

/**
 * adb's legacy `shell:` service returns no exit status and merges stderr into stdout. The script
 * runs under `sh -c` with stdin from /dev/null, then a line with a marker and `$?` is printed.
 * The marker is a random nonce assembled by printf at run time, so it never appears literally in
 * the command (a `ps` listing or an echo of the command line cannot forge it), and only a marker
 * that ends the output counts.
 */
export interface LegacyWrapped {
  command: string;
  nonce: string;
}

export function wrapLegacy(script: string): LegacyWrapped {
  const nonce = randomBytes(8).toString('hex');
  const half = nonce.length / 2;
  const command = `sh -c ${shQuote(script)} </dev/null; printf '\\n%s%s:%d\\n' ${shQuote(`MPLABEXIT${nonce.slice(0, half)}`)} ${shQuote(nonce.slice(half))} "$?"`;
  return { command, nonce };
}

/** Splits the command's output from the marker. null when the marker never came (the shell was cut off). */
export function parseLegacy(output: Buffer, nonce: string): { stdout: Buffer; exitCode: number } | null {
  const tail = output.subarray(Math.max(0, output.length - 64)).toString('latin1');
  const re = new RegExp(`\\r?\\nMPLABEXIT${nonce}:(\\d+)\\r?\\n$`);
  const m = re.exec(tail);
  if (!m) return null;
  const markerBytes = tail.length - m.index;
  return { stdout: output.subarray(0, output.length - markerBytes), exitCode: Number(m[1]) };
}
