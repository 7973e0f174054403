/**
 * Compares `mplab analyze` of this checkout with that of another one (by default /work/main) on the
 * captures the tests use, byte for byte: for a change of the analyzer that must not change its
 * results. Each capture is analyzed with the default options and with a short --grace and
 * --idle-timeout (connections written, or kept, while the trace goes on), by both checkouts' CLIs
 * into folders of their own; connections.jsonl, subflows.jsonl, summary.json and the exit code must
 * be the same.
 *
 *   node --import tsx scripts/analysis-diff.ts [--base /work/main] [--fuzz 40] [extra.pcap ...]
 *
 * The captures: test/fixtures (the MPTCP v0 samples), bench/out/ (the bench's MPTCP v1 captures
 * from the lab, when made) and corrupted variants of the fuzz test's captures. The other checkout
 * runs from its sources (MPLAB_PRECOMPILED=0), so that the two do not rebuild each other's bundle in
 * the shared node_modules/.cache.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { execa } from 'execa';
import { fuzzBases, fuzzVariant } from '../test/unit/analysis/fuzz-variants.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values, positionals } = parseArgs({ options: { base: { type: 'string', default: '/work/main' }, fuzz: { type: 'string', default: '40' } }, allowPositionals: true });
const work = mkdtempSync(join(tmpdir(), 'mplab-analysis-diff-'));

function captures(): string[] {
  const files: string[] = [];
  const fixtures = join(ROOT, 'test', 'fixtures', 'mptcp-v0');
  for (const name of readdirSync(fixtures).filter((f) => f.endsWith('.pcap.gz'))) {
    const file = join(work, name.slice(0, -'.gz'.length));
    writeFileSync(file, gunzipSync(readFileSync(join(fixtures, name))));
    files.push(file);
  }
  for (const name of ['mptcp-v1-bench.pcap', 'short-mptcp-v1-20000.pcap']) {
    const file = join(ROOT, 'bench', 'out', name);
    if (existsSync(file)) files.push(file);
  }
  const bases = fuzzBases();
  for (let i = 0; i < Number(values.fuzz); i++) {
    const { base, bytes } = fuzzVariant(20261205, i, bases);
    const file = join(work, `fuzz${i}.${base.ext}`);
    writeFileSync(file, bytes);
    files.push(file);
  }
  return [...files, ...positionals];
}

async function analyze(checkout: string, args: string[], out: string, env: Record<string, string>): Promise<string> {
  const r = await execa(process.execPath, [join(checkout, 'bin', 'mplab.js'), 'analyze', ...args, '--out', out, '--no-progress'], { reject: false, env, cwd: checkout });
  const files = ['connections.jsonl', 'subflows.jsonl', 'summary.json'].map((f) => (existsSync(join(out, f)) ? readFileSync(join(out, f), 'utf8') : '(none)'));
  return [`exit ${r.exitCode}`, ...files].join('\n---\n');
}

const OPTION_SETS: string[][] = [[], ['--grace', '0.5', '--idle-timeout', '3']];
let differ = 0;
let compared = 0;
try {
  const files = captures();
  // several files at once: the v0 client and server captures overlap in time (two traces)
  const runs = [...files.map((f) => [f]), files.filter((f) => /(client|server)_2\.pcap$/.test(f))];
  for (const inputs of runs) {
    for (const options of OPTION_SETS) {
      const args = [...inputs, ...options];
      const a = join(work, 'base');
      const b = join(work, 'this');
      rmSync(a, { recursive: true, force: true });
      rmSync(b, { recursive: true, force: true });
      mkdirSync(a);
      mkdirSync(b);
      const [base, mine] = await Promise.all([analyze(values.base!, args, a, { MPLAB_PRECOMPILED: '0' }), analyze(ROOT, args, b, {})]);
      compared++;
      const same = base === mine;
      if (!same) differ++;
      console.log(`${same ? 'same   ' : 'DIFFER '} ${args.map((x) => x.replace(`${work}/`, '')).join(' ')}`);
      if (!same) {
        const at = [...base].findIndex((c, i) => c !== mine[i]);
        console.log(`   first difference at character ${at}:\n   base: ${base.slice(Math.max(0, at - 200), at + 200)}\n   this: ${mine.slice(Math.max(0, at - 200), at + 200)}`);
      }
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.log(`${compared} runs compared, ${differ} differ`);
process.exitCode = differ === 0 ? 0 : 1;
