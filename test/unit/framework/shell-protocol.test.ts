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
  function runLegacy(script: string) {
    const w = wrapLegacy(script);
    let out: Buffer;
    try {
      out = execFileSync('sh', ['-c', w.command], { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      out = (err as { stdout: Buffer }).stdout;
    }
    return { parsed: parseLegacy(out, w.nonce), command: w.command, nonce: w.nonce };
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

  it('never puts the marker literally in the command, so the command cannot print it', () => {
    const { command, nonce } = runLegacy('true');
    expect(command).not.toContain(`MPLABEXIT${nonce}`);
    const echoed = runLegacy(`echo "the command line"; exit 7`);
    expect(echoed.parsed?.exitCode).toBe(7);
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
