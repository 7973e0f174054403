import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeFiles } from '../../../analysis/analyze.js';
import { DirectoryOutput, MemoryOutput } from '../../../analysis/output.js';
import { fixtureCapture } from '../../support/capture-layout.js';
import { tempDir } from '../../support/tmp.js';

describe('DirectoryOutput', () => {
  it('writes each record as JSON.stringify does, one per line, also a line longer than its write block', () => {
    const capture = join(tempDir(), 'client_2.pcap');
    writeFileSync(capture, fixtureCapture('mptcp-v0/client_2.pcap'));
    const memory = new MemoryOutput();
    analyzeFiles([capture], memory, { progress: false });
    expect(memory.connections.length).toBeGreaterThan(0);

    // a connection whose subflow blocks take 2.4 MB of JSON, between two ordinary ones
    const huge = structuredClone(memory.connections[0]);
    huge.blocks.down = Array.from({ length: 400_000 }, (_, i) => 100_000 + i);
    const connections = [memory.connections[0], huge, ...memory.connections.slice(1)];
    const subflows = [...memory.subflows, { ...memory.subflows[0], client: 'é'.repeat(400_000) }, memory.subflows[0]];

    const dir = tempDir();
    const out = new DirectoryOutput(dir);
    for (const c of connections) out.connection(c);
    for (const s of subflows) out.subflow(s);
    out.summary(memory.result!);
    out.close();

    const lines = (file: string) => readFileSync(join(dir, file), 'utf8');
    expect(lines('connections.jsonl')).toBe(connections.map((c) => `${JSON.stringify(c)}\n`).join(''));
    expect(lines('subflows.jsonl')).toBe(subflows.map((s) => `${JSON.stringify(s)}\n`).join(''));
  });
});
