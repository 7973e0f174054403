import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { REPO_ROOT } from '../../common/paths.js';

/**
 * The programs that run on the phone are TypeScript like the rest; the phone has only Node (no
 * tsx, no node_modules), so each is bundled into one self-contained ES module when a daemon
 * starts and installed under /system/lib/mplab, with the native addon that opens MPTCP sockets
 * (the redirector's).
 */
const ENTRIES: Record<string, string> = {
  'sync.mjs': './device/sync-main.ts',
  'uiautomator2.mjs': './device/uiautomator2-main.ts',
  'redirector.mjs': './redirector/main.ts',
  'app.mjs': '../apps/process/main.ts',
};

const ADDONS = ['mptcp_socket.node'];

let cache: Record<string, string | Buffer> | undefined;

export function phonePrograms(): Record<string, string | Buffer> {
  if (cache) return cache;
  const programs: Record<string, string | Buffer> = {};
  for (const addon of ADDONS) programs[addon] = readFileSync(path.join(REPO_ROOT, 'build', 'Release', addon));
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
