import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseLegacy, wrapLegacy } from '../../../framework/devices/legacy-shell.js';
import { encodeShellPacket, ShellPacket } from '../../../common/shell-packets.js';
import { ShellV2Decoder } from '../../../framework/devices/shell-v2.js';

function decodeAll(chunks: Buffer[]) {
  const events: Array<[string, string | number]> = [];
  const d = new ShellV2Decoder({
    stdout: (b) => events.push(['out', b.toString()]),
    stderr: (b) => events.push(['err', b.toString()]),
    exit: (c) => events.push(['exit', c]),
  });
  for (const c of chunks) d.push(c);
  return { events, buffered: d.buffered };
}

describe('shell protocol v2, client side', () => {
  it('decodes stdout, stderr and the exit status, however the bytes are split', () => {
    const stream = Buffer.concat([
      encodeShellPacket(ShellPacket.stdout, Buffer.from('hello ')),
      encodeShellPacket(ShellPacket.stderr, Buffer.from('oops')),
      encodeShellPacket(ShellPacket.stdout, Buffer.from('world')),
      encodeShellPacket(ShellPacket.exit, Buffer.from([42])),
    ]);
    const whole = decodeAll([stream]);
    expect(whole.events).toEqual([
      ['out', 'hello '],
      ['err', 'oops'],
      ['out', 'world'],
      ['exit', 42],
    ]);
    const bytewise = decodeAll([...stream].map((b) => Buffer.from([b])));
    expect(bytewise.events).toEqual(whole.events);
    expect(bytewise.buffered).toBe(0);
  });

  it('waits for the rest of a packet split inside its header or data', () => {
    const p = encodeShellPacket(ShellPacket.stdout, Buffer.alloc(70000, 0x61));
    const r = decodeAll([p.subarray(0, 3)]);
    expect(r.events).toEqual([]);
    expect(r.buffered).toBe(3);
    const full = decodeAll([p.subarray(0, 3), p.subarray(3, 40000), p.subarray(40000)]);
    expect(full.events).toHaveLength(1);
    expect((full.events[0][1] as string).length).toBe(70000);
  });
});

describe('legacy shell exit marker', () => {
  /** The wrapped script run by a real sh, its stdin the nonce line as runShell writes it. */
  function runLegacy(script: string) {
    const w = wrapLegacy(script);
    let out: Buffer;
    try {
      out = execFileSync('sh', ['-c', w.command], { input: w.stdinLine, stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (err) {
      out = (err as { stdout: Buffer }).stdout;
    }
    return { parsed: parseLegacy(out, w.nonce), command: w.command, nonce: w.nonce, out };
  }

  it('returns output and exit status of the script, run by a real sh', () => {
    expect(runLegacy('echo hi; exit 3').parsed).toEqual({ stdout: Buffer.from('hi\n'), exitCode: 3 });
    expect(runLegacy('printf "no newline"').parsed).toEqual({ stdout: Buffer.from('no newline'), exitCode: 0 });
    expect(runLegacy('false').parsed?.exitCode).toBe(1);
    expect(runLegacy('exit 255').parsed?.exitCode).toBe(255);
  });

  it('gives the command no stdin, so a reader sees end-of-file at once', () => {
    expect(runLegacy('cat; echo after').parsed).toEqual({ stdout: Buffer.from('after\n'), exitCode: 0 });
  });

  it('never puts the nonce in the command, so the command cannot print it', () => {
    const { command, nonce } = runLegacy('true');
    expect(command).not.toContain(nonce);
    expect(command).not.toContain(nonce.slice(0, 8));
    expect(command).not.toContain(nonce.slice(8));
  });

  // A hostile script looks for the nonce wherever a process can: its parent's command line (quotes
  // and spaces taken out, so that pieces of it would join) and environment. It prints a guessed
  // marker of status 0, then one for every 16-hex-digit word found there, then, last in its output,
  // one for every MPLABEXIT followed by 16 hex digits found there.
  const forge = [
    `c=$(cat /proc/$PPID/cmdline /proc/$PPID/environ | tr -d "\\000' \\"")`,
    `printf '\\nMPLABEXIT0000000000000000:0\\n'`,
    `for n in $(printf '%s' "$c" | grep -oE '[0-9a-f]{16}') $(printf '%s' "$c" | grep -oE 'MPLABEXIT[0-9a-f]{16}' | sed 's/MPLABEXIT//'); do printf '\\nMPLABEXIT%s:0\\n' "$n"; done`,
  ].join('; ');

  it('a script that forges the marker, from a guess or from what it can read of its shell, gets its real exit status', () => {
    const r = runLegacy(`${forge}; exit 3`);
    expect(r.out.toString()).toMatch(/MPLABEXIT0000000000000000:0/);
    expect(r.parsed?.exitCode).toBe(3);
  });

  it('a script that forges the marker and then kills its shell leaves no marker: a cut connection, not a status', () => {
    const r = runLegacy(`${forge}; kill -9 $PPID; exit 3`);
    expect(r.out.toString()).toMatch(/MPLABEXIT[0-9a-f]{16}:0\n$/);
    expect(r.parsed).toBeNull();
  });

  it('drops the echo of the nonce line that a terminal with echo puts first', () => {
    const nonce = 'cccccccccccccccc';
    expect(parseLegacy(Buffer.from(`${nonce}\r\nout\r\n\r\nMPLABEXIT${nonce}:2\r\n`), nonce)).toEqual({ stdout: Buffer.from('out\r\n'), exitCode: 2 });
  });

  it('only a marker at the very end counts (a forged marker mid-output does not)', () => {
    const nonce = 'aaaaaaaaaaaaaaaa';
    const forged = Buffer.from(`x\nMPLABEXIT${nonce}:0\nmore output\n`);
    expect(parseLegacy(forged, nonce)).toBeNull();
    expect(parseLegacy(Buffer.from(`out\r\n\r\nMPLABEXIT${nonce}:5\r\n`), nonce)).toEqual({ stdout: Buffer.from('out\r\n'), exitCode: 5 });
  });

  it('reports a cut-off command as null', () => {
    expect(parseLegacy(Buffer.from('partial output'), 'bbbbbbbbbbbbbbbb')).toBeNull();
  });
});
