// built-in modules through process.getBuiltinModule, not `import`: an ES module facade of each
// (node:fs's loads its streams) costs a few milliseconds at every start
const { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } = process.getBuiltinModule('node:fs');
const { createRequire } = process.getBuiltinModule('node:module');
const { extname, isAbsolute, join, relative } = process.getBuiltinModule('node:path');
const { fileURLToPath, pathToFileURL } = process.getBuiltinModule('node:url');
const { Script } = process.getBuiltinModule('node:vm');

/**
 * A command's TypeScript entry bundled with esbuild into one CommonJS file and cached, so that the
 * command runs on plain Node without tsx's loader (which costs about 0.2 s of CPU at every start:
 * a loader thread, and esbuild loaded in it); with it, V8's code cache of the bundle, so that its
 * functions are not parsed and compiled to bytecode again at every start either.
 *
 * It never runs stale code: next to the bundle are the exact contents of every file that went into
 * it, as esbuild read them (a plugin reads them), plus tsconfig.json and esbuild's package.json.
 * Before each use every one of those files is read again and compared byte for byte; any
 * difference builds the bundle anew. Packages (node_modules) stay outside the bundle and are
 * resolved by Node as usual (the cache lives in node_modules/.cache, below them), except the few in
 * BUNDLED_PACKAGES, whose files are inputs like the sources. V8 checks the code
 * cache against the bundle's source and its own version and flags, and ignores it when they differ.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** changes whenever the build options below change */
const FORMAT = 3;
/**
 * Packages bundled with the sources instead of being required from node_modules: pure JavaScript
 * that every start loads, whose functions then come from the code cache too (commander: about
 * 6 ms of parsing and compiling at each start otherwise). Their files are inputs, checked like the
 * sources.
 */
const BUNDLED_PACKAGES = new Set(['commander']);
const LOADERS = { '.ts': 'ts', '.mts': 'ts', '.js': 'js', '.mjs': 'js', '.json': 'json' };

/**
 * @typedef {object} Precompiled
 * @property {Record<string, unknown>} exports what the entry exports
 * @property {boolean} built whether this call built the bundle
 * @property {(complete: boolean) => void} saveCodeCache call after the command ran: writes V8's code
 *   cache of the bundle when there is none, or when the one there was made by a run that used less
 *   of the code (`complete` false: help, a usage error) and this one did not
 */

/**
 * Loads an up-to-date bundle of `entry` (a path relative to `root`), building it if needed; null
 * when it cannot be built or written (the caller then runs the sources with tsx, which reports a
 * compile error as usual).
 *
 * @param {string} name
 * @param {string} entry
 * @param {{ root?: string, cacheDir?: string }} [options]
 * @returns {Promise<Precompiled | null>}
 */
export async function loadPrecompiled(name, entry, options = {}) {
  const root = options.root ?? ROOT;
  const cacheDir = options.cacheDir ?? join(root, 'node_modules', '.cache', 'mplab');
  let bundle = null;
  let built = false;
  try {
    const manifest = JSON.parse(readFileSync(join(cacheDir, `${name}.json`), 'utf8'));
    if (manifest.format === FORMAT && manifest.entry === entry && unchanged(root, manifest.inputs, readFileSync(join(cacheDir, manifest.sources)))) {
      bundle = join(cacheDir, manifest.bundle);
    }
  } catch {
    // no manifest yet, or a listed file is gone: build
  }
  if (bundle === null) {
    try {
      bundle = await build(root, cacheDir, name, entry);
      built = true;
    } catch {
      return null;
    }
  }
  return { ...run(bundle), built };
}

/**
 * Runs a CommonJS bundle with V8's code cache of it when there is one.
 * @param {string} bundle
 */
function run(bundle) {
  const source = readFileSync(bundle, 'utf8');
  const cacheFile = `${bundle.slice(0, -'.cjs'.length)}.v8cache`;
  const partialFile = `${cacheFile}-partial`;
  let cachedData;
  let partial = false;
  try {
    cachedData = readFileSync(cacheFile);
    partial = existsSync(partialFile);
  } catch {
    // not made yet
  }
  // the function CommonJS wraps a module in, as one script, so that V8 caches all of it
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: bundle, cachedData });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, join(bundle, '..'));
  const usable = cachedData !== undefined && !script.cachedDataRejected;
  return {
    exports: module.exports,
    saveCodeCache(complete) {
      if (usable && !(partial && complete)) return;
      try {
        // after the run: the cache then holds every function the run compiled, not only the top level
        writeAtomically(cacheFile, script.createCachedData());
        if (complete) rmSync(partialFile, { force: true });
        else writeFileSync(partialFile, '');
      } catch {
        // another process may be writing it, or the directory is read-only: the next run tries again
      }
    },
  };
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
    format: 'cjs',
    target: 'node20',
    // the sources are ES modules: strict, and import.meta.url is the bundle's own URL
    banner: { js: `"use strict";\nconst __mplab_import_meta_url = require("node:url").pathToFileURL(__filename).href;` },
    define: { 'import.meta.url': '__mplab_import_meta_url' },
    write: false,
    logLevel: 'silent',
    // a bundled package's files are inputs under root/node_modules even when node_modules is a link
    preserveSymlinks: true,
    plugins: [
      {
        // every package but BUNDLED_PACKAGES stays outside, resolved by Node at run time
        name: 'external-packages',
        setup(b) {
          b.onResolve({ filter: /^[^./]/ }, (args) => {
            const parts = args.path.split('/');
            const name = args.path.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
            return BUNDLED_PACKAGES.has(name) ? undefined : { path: args.path, external: true };
          });
        },
      },
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
  const bundle = `${name}-${id}.cjs`;
  mkdirSync(cacheDir, { recursive: true });
  writeAtomically(join(cacheDir, bundle), code);
  writeAtomically(join(cacheDir, `${name}-${id}.sources`), sources);
  const manifest = { format: FORMAT, entry, bundle, sources: `${name}-${id}.sources`, inputs: inputs.map(([file, content]) => [file, content.length]) };
  writeAtomically(join(cacheDir, `${name}.json`), JSON.stringify(manifest, null, 1));
  removeOldBuilds(cacheDir, name, id);
  return join(cacheDir, bundle);
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
