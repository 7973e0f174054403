#!/usr/bin/env node
// The sources are TypeScript. `mplab analyze` runs from a bundle that precompiled.js builds and
// checks against the sources at every start (no tsx loader: about 0.2 s less CPU per run); every
// other command, and analyze when no bundle can be built, runs the sources through tsx, which
// compiles them on load so that `npx mplab` works right after `npm ci`. MPLAB_PRECOMPILED=0 turns
// the bundle off.
const command = process.argv.slice(2).find((arg) => !arg.startsWith('-'));
let ran = false;
if (command === 'analyze' && process.env.MPLAB_PRECOMPILED !== '0') {
  const { precompiled } = await import('./precompiled.js');
  const bundle = await precompiled('analyze', 'framework/cli/analyze-main.ts');
  if (bundle) {
    await import(bundle.url);
    ran = true;
  }
}
if (!ran) {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../framework/cli/main.ts');
}
