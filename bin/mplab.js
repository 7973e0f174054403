#!/usr/bin/env node
// The sources are TypeScript. `mplab analyze` runs from a bundle that precompiled.js builds and
// checks against the sources at every start, with V8's code cache (no tsx loader, no parsing and
// compiling again: about 0.25 s less CPU per run); every other command, and analyze when no bundle
// can be built, runs the sources through tsx, which compiles them on load so that `npx mplab`
// works right after `npm ci`. MPLAB_PRECOMPILED=0 turns the bundle off.
const args = process.argv.slice(2);
const command = args.find((arg) => !arg.startsWith('-'));
let ran = false;
if (command === 'analyze' && process.env.MPLAB_PRECOMPILED !== '0') {
  const { loadPrecompiled } = await import('./precompiled.js');
  const bundle = await loadPrecompiled('analyze', 'framework/cli/analyze-main.ts');
  if (bundle) {
    await bundle.exports.main();
    // a run that analyzed something compiled most of the code: the best code cache to keep
    bundle.saveCodeCache(!process.exitCode && !args.some((arg) => ['-h', '--help', '-V', '--version'].includes(arg)));
    ran = true;
  }
}
if (!ran) {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../framework/cli/main.ts');
}
