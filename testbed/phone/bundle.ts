import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

/**
 * The programs that run on the phone are TypeScript like the rest; the phone has only Node (no
 * tsx, no node_modules), so each is bundled into one self-contained ES module when a daemon
 * starts and installed under /system/lib/mplab.
 */
const ENTRIES: Record<string, string> = {
  'client.mjs': './device/command-client.ts',
  'sync.mjs': './device/sync-main.ts',
  'uiautomator2.mjs': './device/uiautomator2-main.ts',
};

let cache: Record<string, string> | undefined;

export function phonePrograms(): Record<string, string> {
  if (cache) return cache;
  const programs: Record<string, string> = {};
  for (const [name, entry] of Object.entries(ENTRIES)) {
    const result = buildSync({
      entryPoints: [fileURLToPath(new URL(entry, import.meta.url))],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      write: false,
      logLevel: 'silent',
    });
    programs[name] = result.outputFiles[0].text;
  }
  cache = programs;
  return programs;
}
