import { mkdirSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname, isAbsolute, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * A command's TypeScript entry bundled into one ES module with esbuild and cached, so that the
 * command runs on plain Node without tsx's loader (which costs about 0.2 s of CPU at every start:
 * a loader thread, and esbuild loaded in it).
 *
 * It never runs stale code: next to the bundle are the exact contents of every file that went into
 * it, as esbuild read them (a plugin reads them), plus tsconfig.json and esbuild's package.json.
 * Before each use every one of those files is read again and compared byte for byte; any
 * difference builds the bundle anew. Packages (node_modules) stay outside the bundle and are
 * resolved by Node as usual (the cache lives in node_modules/.cache, below them).
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** changes whenever the build options below change */
const FORMAT = 1;
const LOADERS = { '.ts': 'ts', '.mts': 'ts', '.js': 'js', '.mjs': 'js', '.json': 'json' };

/**
 * The URL of an up-to-date bundle of `entry` (a path relative to `root`), building it if needed;
 * null when it cannot be built or written (the caller then runs the sources with tsx, which reports
 * a compile error as usual). `built` says whether this call built it.
 *
 * @param {string} name
 * @param {string} entry
 * @param {{ root?: string, cacheDir?: string }} [options]
 * @returns {Promise<{ url: string, built: boolean } | null>}
 */
export async function precompiled(name, entry, options = {}) {
  const root = options.root ?? ROOT;
  const cacheDir = options.cacheDir ?? join(root, 'node_modules', '.cache', 'mplab');
  try {
    const manifest = JSON.parse(readFileSync(join(cacheDir, `${name}.json`), 'utf8'));
    if (manifest.format === FORMAT && manifest.entry === entry && unchanged(root, manifest.inputs, readFileSync(join(cacheDir, manifest.sources)))) {
      return { url: pathToFileURL(join(cacheDir, manifest.bundle)).href, built: false };
    }
  } catch {
    // no manifest yet, or a listed file is gone: build
  }
  try {
    return { url: await build(root, cacheDir, name, entry), built: true };
  } catch {
    return null;
  }
}

/**
 * Whether every input still has the content recorded at build time.
 * @param {string} root @param {[string, number][]} inputs @param {Buffer} recorded the contents, one after the other
 */
function unchanged(root, inputs, recorded) {
  let offset = 0;
  for (const [file, length] of inputs) {
    const now = readFileSync(join(root, file));
    if (now.length !== length || now.compare(recorded, offset, offset + length) !== 0) return false;
    offset += length;
  }
  return offset === recorded.length;
}

/** @param {string} root @param {string} cacheDir @param {string} name @param {string} entry */
async function build(root, cacheDir, name, entry) {
  const require = createRequire(join(root, 'package.json'));
  const esbuild = await import(pathToFileURL(require.resolve('esbuild')).href);
  /** @type {Map<string, Buffer>} what the bundle depends on besides its sources */
  const read = new Map([
    ['tsconfig.json', readFileSync(join(root, 'tsconfig.json'))],
    [relative(root, require.resolve('esbuild/package.json')), readFileSync(require.resolve('esbuild/package.json'))],
  ]);
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    write: false,
    logLevel: 'silent',
    plugins: [
      {
        name: 'record-inputs',
        setup(b) {
          b.onLoad({ filter: /.*/ }, (args) => {
            const loader = LOADERS[extname(args.path)];
            if (args.namespace !== 'file' || !loader) throw new Error(`cannot precompile ${args.path}`);
            const file = relative(root, args.path);
            if (file.startsWith('..') || isAbsolute(file)) throw new Error(`${args.path} is outside ${root}`);
            const contents = readFileSync(args.path);
            read.set(file, contents);
            return { contents, loader };
          });
        },
      },
    ],
  });
  const inputs = [...read].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const sources = Buffer.concat(inputs.map(([, content]) => content));
  const code = result.outputFiles[0].contents;
  const { createHash } = await import('node:crypto');
  const id = createHash('sha256').update(sources).update(code).digest('hex').slice(0, 16);
  const bundle = `${name}-${id}.mjs`;
  mkdirSync(cacheDir, { recursive: true });
  writeAtomically(join(cacheDir, bundle), code);
  writeAtomically(join(cacheDir, `${name}-${id}.sources`), sources);
  const manifest = { format: FORMAT, entry, bundle, sources: `${name}-${id}.sources`, inputs: inputs.map(([file, content]) => [file, content.length]) };
  writeAtomically(join(cacheDir, `${name}.json`), JSON.stringify(manifest, null, 1));
  removeOldBuilds(cacheDir, name, id);
  return pathToFileURL(join(cacheDir, bundle)).href;
}

/** Several processes may build at once: each writes its own file and renames it into place. */
function writeAtomically(path, data) {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/** Builds of older sources, once no process that checked them a moment ago can still be loading them. */
function removeOldBuilds(cacheDir, name, keep) {
  const now = Date.now();
  for (const file of readdirSync(cacheDir)) {
    if (!file.startsWith(`${name}-`) || file.startsWith(`${name}-${keep}.`)) continue;
    const path = join(cacheDir, file);
    try {
      if (now - statSync(path).mtimeMs > 60_000) unlinkSync(path);
    } catch {
      // removed by another process
    }
  }
}
