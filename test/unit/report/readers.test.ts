import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../../common/errors.js';
import type { ReportTest, TestSource } from '../../../framework/report/model.js';
import { readJsonl } from '../../../framework/report/readers/analyzer-files.js';
import { openInput } from '../../../framework/report/readers/inputs.js';
import { tempDir } from '../../support/tmp.js';
import { connection, measure, result, subflow, writeAnalysis, writeTest } from './records.js';

async function all(source: TestSource): Promise<ReportTest[]> {
  const out: ReportTest[] = [];
  for await (const t of source.tests()) out.push(t);
  return out;
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as Error).message;
  }
  throw new Error('expected an error');
}

describe('report readers', () => {
  it('reads an mplab analyze output folder as one test without metadata, its records on demand', async () => {
    const dir = writeAnalysis(join(tempDir(), 'out'), [connection({ id: 0 }), connection({ id: 1, kind: 'tcp', subflows: 1 })], [subflow({ connection: 0, index: 0 }), subflow({ connection: 0, index: 1 }), subflow({ connection: 1, index: 0 })]);
    writeFileSync(join(dir, 'summary.json'), JSON.stringify({ timeSpan: { start: 1_700_000_123.5, end: 1_700_000_200, seconds: 76.5 } }));
    const source = openInput(dir);
    expect(source.count()).toBe(1);
    expect(source.label).toBe(`analyze output ${dir}`);
    const [test] = await all(source);
    expect(test).toMatchObject({ id: dir, input: dir, app: null, mode: null, network: null, verdict: null, start: 1_700_000_123.5, measures: [] });
    const records = await test.records();
    expect(records!.connections.map((c) => c.id)).toEqual([0, 1]);
    expect(records!.subflows).toHaveLength(3);
  });

  it('reads a results folder: test folders with result.json at any depth, metadata from result.json, records from analysis.dir', async () => {
    const root = tempDir();
    writeTest(join(root, 'night1', 't1'), result({ id: 't1', mode: 'tcp', measures: [measure('download-time', 12.5, 'good')] }), [connection({ id: 0, kind: 'tcp', subflows: 1 })], [subflow({ connection: 0, index: 0 })]);
    writeTest(join(root, 'night2', 'b', 't2'), result({ id: 't2', app: { package: 'org.mozilla.firefox', label: 'Firefox' }, analysis: { ...result({ id: 'x' }).analysis!, dir: 'elsewhere' } }), [connection({ id: 5 })], []);
    const t3 = result({ id: 't3', analysis: null });
    t3.network = { ...t3.network, label: 'handover', profile: '/work/testbed/profiles/dsl-wifi.json' };
    writeTest(join(root, 't3'), t3, [], []);
    mkdirSync(join(root, '.hidden', 't4'), { recursive: true });
    writeFileSync(join(root, '.hidden', 't4', 'result.json'), '{}');
    const source = openInput(root);
    expect(source.count()).toBe(3);
    const tests = await all(source);
    expect(tests.map((t) => t.id)).toEqual(['t1', 't2', 't3']);
    expect(tests[0]).toMatchObject({ app: { package: 'com.whatsapp', label: 'WhatsApp' }, mode: 'tcp', network: { name: 'both', defaultRoute: 'wifi', profile: null, label: null }, verdict: 'passed', phone: 'phone1' });
    expect(tests[2].network).toEqual({ name: 'both', defaultRoute: 'wifi', profile: '/work/testbed/profiles/dsl-wifi.json', label: 'handover' });
    expect(tests[0].measures).toEqual([{ name: 'download-time', value: 12.5, unit: 's', band: 'good' }]);
    expect((await tests[0].records())!.connections[0].kind).toBe('tcp');
    expect((await tests[1].records())!.connections[0].id).toBe(5);
    expect(await tests[2].records()).toBeNull();
    // one test folder given directly is a results folder of one test
    expect(openInput(join(root, 't3')).count()).toBe(1);
  });

  it('a result.json with problems names the file and every wrong field', async () => {
    const root = tempDir();
    const bad = { ...result({ id: 't1' }), schema: 2, mode: 7, network: { name: 'lte', defaultRoute: 'wifi', profile: null, label: 3 }, measures: [{ name: 'x', value: 'fast', unit: 's' }] };
    mkdirSync(join(root, 't1'));
    writeFileSync(join(root, 't1', 'result.json'), JSON.stringify(bad));
    const source = openInput(root);
    const message = await all(source).then(
      () => '',
      (err: Error) => err.message,
    );
    expect(message).toContain(join(root, 't1', 'result.json'));
    expect(message).toContain('schema: expected 1');
    expect(message).toContain('mode: expected a non-empty string, got number 7');
    expect(message).toContain('network.name: expected one of "wifi", "cellular", "both", got string "lte"');
    expect(message).toContain('network.label: expected a string or null, got number 3');
    expect(message).toContain('measures[0].value: expected a number or null, got string "fast"');

    writeFileSync(join(root, 't1', 'result.json'), '{"schema": 1,\n "id": }');
    const broken = await all(openInput(root)).then(
      () => '',
      (err: Error) => err.message,
    );
    expect(broken).toMatch(/t1\/result\.json: invalid JSON/);
  });

  it('a JSONL file with a bad line or of another kind says which file, line and field', () => {
    const dir = tempDir();
    const file = join(dir, 'connections.jsonl');
    writeFileSync(file, `${JSON.stringify(connection({ id: 0 }))}\n{"id": 1,\n`);
    expect(errorOf(() => readJsonl(file))).toMatch(new RegExp(`^${file}: line 2: invalid JSON`));
    writeFileSync(join(dir, 'connections.jsonl'), '{"event":"connection","id":1,"client":"198.18.1.2:1"}\n');
    writeFileSync(join(dir, 'subflows.jsonl'), '');
    return all(openInput(dir)).then(async ([t]) => {
      await expect(t.records()).rejects.toThrow(/connections\.jsonl: line 1: field "kind": expected a string, got nothing/);
    });
  });

  it('refuses what is no input, and says that a campaign id needs the results folder of its store', () => {
    expect(errorOf(() => openInput('night-2025-03-01'))).toMatch(/^night-2025-03-01: no such folder; for a campaign id, say which results folder holds the store \(--results\)/);
    expect(errorOf(() => openInput('runs/none/here'))).toMatch(/^runs\/none\/here: no such folder \(expected a results folder/);
    const dir = tempDir();
    writeFileSync(join(dir, 'file.txt'), 'x');
    expect(errorOf(() => openInput(join(dir, 'file.txt')))).toMatch(/not a folder/);
    expect(errorOf(() => openInput(dir))).toMatch(/holds no test \(no result\.json at most 4 folders down\) and is no mplab analyze output/);
  });
});
