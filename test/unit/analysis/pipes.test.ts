import { existsSync, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeInputs } from '../../../analysis/analyze.js';
import { MemoryOutput } from '../../../analysis/output.js';
import { MPLAB_CLI } from '../../../common/paths.js';
import { captureLayout, fixtureCapture } from '../../support/capture-layout.js';
import { Conversation, pcapFile, type CaptureRecord } from '../../support/pcap-writer.js';
import { skipUnless } from '../../support/prereq.js';
import { earlierResult } from '../../support/analysis-out.js';
import { dirContents } from '../../support/dir-contents.js';
import { tempDir, tempFile } from '../../support/tmp.js';

/**
 * `mplab analyze` on streams: standard input ("-"), a pipe named by a path (`<(cat f)`), a FIFO,
 * read as data arrives with the same outputs as from the file; a FIFO nobody writes to; and a run
 * stopped by a signal, which leaves no partial files and the earlier result in --out.
 */

let sample: Buffer;
beforeAll(() => {
  sample = fixtureCapture('mptcp-v0/client_2.pcap');
});

const node = process.execPath;
const analyzeArgs = (input: string, out: string, ...more: string[]) => [MPLAB_CLI, 'analyze', input, '--out', out, '--no-progress', ...more];


/** The three output files, with summary.json's input names (which differ by design) replaced by INPUT. */
function outputs(dir: string, input: string): Record<string, unknown> {
  const { 'summary.json': summary, ...rest } = dirContents(dir);
  const parsed = JSON.parse(summary) as { files: { file: string }[]; traces: { files: string[] }[] };
  expect(parsed.files.map((f) => f.file)).toEqual([input]);
  expect(parsed.traces.flatMap((t) => t.files)).toEqual([input]);
  parsed.files[0].file = 'INPUT';
  parsed.traces[0].files = ['INPUT'];
  return { ...rest, summary: parsed };
}

let fromFile: Record<string, unknown>;
beforeAll(async () => {
  const file = tempFile('client_2.pcapng', sample);
  const out = tempDir();
  const r = await execa(node, analyzeArgs(file, out));
  expect(r.stdout).toMatch(/^2884 packets in /);
  fromFile = outputs(out, file);
});


describe('mplab analyze on standard input and pipes', () => {
  it('"-" reads standard input from a pipe: the same files as from the file', async () => {
    const out = tempDir();
    const r = await execa(node, analyzeArgs('-', out), { input: sample });
    expect(r.stdout).toMatch(/^2884 packets in /);
    expect(outputs(out, '-')).toEqual(fromFile);
  });

  it('"-" given twice is a usage error (exit 2)', async () => {
    const r = await execa(node, [...analyzeArgs('-', tempDir()), '-'], { input: sample, reject: false });
    expect([r.exitCode, String(r.stderr)]).toEqual([2, 'mplab: "-" (stdin) may be given once']);
  });

  describe.skipIf(skipUnless({ commands: ['bash', 'cat', 'mkfifo'] }))('pipes and FIFOs named by a path', () => {
    it('a pipe named by a path, as bash\'s <(cat FILE) gives: the same files as from the file', async () => {
      const file = tempFile('client_2.pcapng', sample);
      const out = tempDir();
      // the values reach bash as arguments, not pasted into the script
      const r = await execa('bash', ['-c', 'exec "$0" "$1" analyze <(cat "$2") --out "$3" --no-progress', node, MPLAB_CLI, file, out]);
      expect(r.stdout).toMatch(/^2884 packets in /);
      const named = (JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { files: { file: string }[] }).files[0].file;
      expect(named).toMatch(/^\/dev\/fd\/\d+$/);
      expect(outputs(out, named)).toEqual(fromFile);
    });

    it('streams: what arrives is analyzed before the writer has finished', async () => {
      const fifo = join(tempDir(), 'capture.fifo');
      await execa('mkfifo', [fifo]);
      const t = 1_763_000_000;
      const recs: CaptureRecord[] = [];
      const first = new Conversation(recs, '198.18.1.2:40000', '198.18.0.1:1080');
      first.handshake(t).send('up', t + 0.1, 100);
      first.fin('up', t + 0.2).fin('down', t + 0.3).ack('up', t + 0.4);
      const second = new Conversation(recs, '198.18.1.2:40001', '198.18.0.1:1080');
      second.handshake(t + 100);
      const bytes = pcapFile(recs, { linktype: 101 });
      // up to the second connection's first packet, which is 100 s of trace time after the first closed
      const { blocks } = captureLayout(bytes);
      const split = blocks[blocks.length - 2].offset;
      const out = new MemoryOutput();
      const running = analyzeInputs([fifo], out, { progress: false, graceSeconds: 1 });
      const writer = await open(fifo, 'w');
      try {
        await writer.write(bytes.subarray(0, split));
        for (let waited = 0; out.connections.length === 0 && waited < 10_000; waited += 20) await sleep(20);
        expect(out.connections.map((c) => c.client)).toEqual(['198.18.1.2:40000']);
        await writer.write(bytes.subarray(split));
      } finally {
        await writer.close();
      }
      const summary = await running;
      expect(out.connections.map((c) => c.client)).toEqual(['198.18.1.2:40000', '198.18.1.2:40001']);
      expect(summary.files).toEqual([expect.objectContaining({ file: fifo, size: bytes.length, records: recs.length })]);
    });

    it('a FIFO that no process opens for writing: exit 1 after --writer-timeout with a line naming it, the earlier result kept', async () => {
      const fifo = join(tempDir(), 'nobody.fifo');
      await execa('mkfifo', [fifo]);
      const { dir, before } = earlierResult();
      const started = Date.now();
      const r = await execa(node, analyzeArgs(fifo, dir, '--writer-timeout', '1'), { reject: false, env: { MPLAB_LOG_LEVEL: 'warn' } });
      expect([r.exitCode, String(r.stderr)]).toEqual([1, `mplab: ${fifo}: byte offset 0: nothing was written to the FIFO within 1 s (no process opened it for writing)`]);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(dirContents(dir)).toEqual(before);
    });
  });

  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    it(`${signal} during a run: the partial files are removed, the earlier result stays, the process ends by the signal`, async () => {
      const { dir, before } = earlierResult();
      const child = execa(node, analyzeArgs('-', dir), { stdin: 'pipe', reject: false });
      // half the capture, and the pipe stays open: the run is reading when the signal comes
      child.stdin.write(sample.subarray(0, sample.length / 2));
      const partial = join(dir, '.connections.jsonl.partial');
      for (let waited = 0; !existsSync(partial) && waited < 20_000; waited += 20) await sleep(20);
      expect(existsSync(partial)).toBe(true);
      child.kill(signal);
      const r = await child;
      expect([r.signal, r.exitCode]).toEqual([signal, undefined]);
      expect(dirContents(dir)).toEqual(before);
    });
  }
});
