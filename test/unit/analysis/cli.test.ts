import { mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { loadPrecompiled } from '../../../bin/precompiled.js';
import { tempDir } from '../../support/tmp.js';
import { MptcpScenario } from './mptcp-scenario.js';
import { writeCapture } from './run.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const MPLAB = join(REPO, 'bin/mplab.js');

/** A tiny TypeScript program in a directory of its own, with the repository's tsconfig.json and node_modules. */
function program(): string {
  const root = tempDir();
  writeFileSync(join(root, 'tsconfig.json'), readFileSync(join(REPO, 'tsconfig.json')));
  writeFileSync(join(root, 'package.json'), '{"type":"module"}');
  symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'));
  mkdirSync(join(root, 'lib'));
  writeFileSync(join(root, 'main.ts'), "import { answer } from './lib/answer.js';\nexport const result: number = answer();\n");
  writeFileSync(join(root, 'lib/answer.ts'), 'export function answer(): number {\n  return 41;\n}\n');
  return root;
}

async function run(root: string, cacheDir: string): Promise<{ result: number; built: boolean }> {
  const bundle = await loadPrecompiled('main', 'main.ts', { root, cacheDir });
  if (bundle === null) throw new Error('no bundle');
  bundle.saveCodeCache(true);
  return { result: bundle.exports.result as number, built: bundle.built };
}

describe('precompiled bundles (bin/precompiled.js): never stale', () => {
  it('builds once, reuses the bundle while the sources are unchanged, and rebuilds after any change', async () => {
    const root = program();
    const cache = join(tempDir(), 'cache');
    expect(await run(root, cache)).toEqual({ result: 41, built: true });
    expect(await run(root, cache)).toEqual({ result: 41, built: false });
    // a change of one byte, same length, in an imported file
    writeFileSync(join(root, 'lib/answer.ts'), 'export function answer(): number {\n  return 42;\n}\n');
    expect(await run(root, cache)).toEqual({ result: 42, built: true });
    expect(await run(root, cache)).toEqual({ result: 42, built: false });
    // a new import: the new file is checked from then on
    writeFileSync(join(root, 'lib/more.ts'), 'export const more = 1;\n');
    writeFileSync(join(root, 'lib/answer.ts'), "import { more } from './more.js';\nexport function answer(): number {\n  return 42 + more;\n}\n");
    expect(await run(root, cache)).toEqual({ result: 43, built: true });
    writeFileSync(join(root, 'lib/more.ts'), 'export const more = 2;\n');
    expect(await run(root, cache)).toEqual({ result: 44, built: true });
    // the compiler's settings are an input too
    writeFileSync(join(root, 'tsconfig.json'), readFileSync(join(REPO, 'tsconfig.json'), 'utf8').replace('"strict": true', '"strict": true '));
    expect(await run(root, cache)).toEqual({ result: 44, built: true });
  });

  it("keeps V8's code cache of the bundle, and replaces one that V8 refuses", async () => {
    const root = program();
    const cache = join(tempDir(), 'cache');
    // in a process of its own: V8 consults a code cache only for a script it has not compiled yet
    const load = async () => {
      const script = `const { loadPrecompiled } = await import(${JSON.stringify(join(REPO, 'bin/precompiled.js'))});
        const b = await loadPrecompiled('main', 'main.ts', { root: ${JSON.stringify(root)}, cacheDir: ${JSON.stringify(cache)} });
        b.saveCodeCache(true);
        console.log(b.exports.result);`;
      return String((await execa(process.execPath, ['--input-type=module', '-e', script])).stdout);
    };
    expect(await load()).toBe('41');
    const { bundle } = JSON.parse(readFileSync(join(cache, 'main.json'), 'utf8')) as { bundle: string };
    const codeCache = join(cache, bundle.replace(/\.cjs$/, '.v8cache'));
    const made = readFileSync(codeCache);
    expect(made.length).toBeGreaterThan(0);
    expect(await load()).toBe('41');
    expect(readFileSync(codeCache).equals(made)).toBe(true);
    writeFileSync(codeCache, 'not a code cache');
    expect(await load()).toBe('41');
    expect(readFileSync(codeCache).length).toBe(made.length);
  });

  it('bundles the packages it lists (commander), whose files are then checked like the sources', async () => {
    const root = program();
    writeFileSync(join(root, 'main.ts'), "import { Command } from 'commander';\nexport const result: number = new Command('x').name() === 'x' ? 41 : 0;\n");
    const cache = join(tempDir(), 'cache');
    expect(await run(root, cache)).toEqual({ result: 41, built: true });
    const manifest = JSON.parse(readFileSync(join(cache, 'main.json'), 'utf8')) as { bundle: string; inputs: [string, number][] };
    expect(manifest.inputs.map(([file]) => file)).toContain('node_modules/commander/lib/command.js');
    expect(readFileSync(join(cache, manifest.bundle), 'utf8')).not.toContain('require("commander")');
    expect(await run(root, cache)).toEqual({ result: 41, built: false });
  });

  it('gives null when the sources do not compile (the caller falls back to tsx)', async () => {
    const root = program();
    writeFileSync(join(root, 'lib/answer.ts'), 'export function answer(: number {\n');
    expect(await loadPrecompiled('main', 'main.ts', { root, cacheDir: join(tempDir(), 'cache') })).toBeNull();
  });
});

describe('mplab analyze from the precompiled bundle', () => {
  it('writes the same files and exit codes as from the sources under tsx', async () => {
    const m = new MptcpScenario(1);
    const s0 = m.open(1_763_000_000);
    m.send(s0, 'up', 1_763_000_000.05, 300);
    m.send(s0, 'down', 1_763_000_000.08, 1400);
    const file = writeCapture(m.records);
    const outputs: Record<string, string>[] = [];
    for (const precompiledEnv of ['1', '0']) {
      const out = join(tempDir(), 'out');
      const env = { MPLAB_PRECOMPILED: precompiledEnv };
      const ok = await execa(process.execPath, [MPLAB, 'analyze', file, '--out', out, '--no-progress'], { env, reject: false });
      expect(ok.exitCode).toBe(0);
      expect(String(ok.stdout)).toMatch(/^5 packets in [\d.]+ s \([\d.]+ s CPU\): 1 connections \(1 MPTCP, 0 TCP\), 1 subflows -> /);
      const missing = await execa(process.execPath, [MPLAB, 'analyze', join(out, 'none.pcap'), '--out', out], { env, reject: false });
      expect([missing.exitCode, String(missing.stderr)]).toEqual([1, `mplab: ${join(out, 'none.pcap')}: cannot open: ENOENT`]);
      const usage = await execa(process.execPath, [MPLAB, 'analyze', file], { env, reject: false });
      expect(usage.exitCode).toBe(2);
      outputs.push(Object.fromEntries(readdirSync(out).map((f) => [f, readFileSync(join(out, f), 'utf8').replaceAll(out, 'OUT')])));
    }
    expect(Object.keys(outputs[0]).sort()).toEqual(['connections.jsonl', 'subflows.jsonl', 'summary.json']);
    expect(outputs[0]).toEqual(outputs[1]);
  });
});
