import { execaSync } from 'execa';
import { accessSync, constants, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { debianPackages, externalCommands } from '../../../common/external-commands.js';
import { REPO_ROOT } from '../../../common/paths.js';

/**
 * scripts/external-commands.txt against this machine and against the sources: every listed command
 * comes from a package the set-up installs, and every command the sources run is listed. A command
 * installed by hand, or used without being listed, fails here instead of on the next fresh machine.
 */

/** Every executable called `command` on PATH, in PATH order. */
function onPath(command: string): string[] {
  const found: string[] = [];
  for (const dir of (process.env.PATH ?? '').split(':').filter(Boolean)) {
    const file = path.join(dir, command);
    try {
      accessSync(file, constants.X_OK);
      if (statSync(file).isFile()) found.push(file);
    } catch {
      // not here
    }
  }
  return found;
}

/** The names dpkg may know a file by: /usr-merged /bin and /sbin, symlinks resolved. */
function dpkgNames(file: string): string[] {
  const names = new Set<string>();
  for (const f of [file, realpathSync(file)]) {
    names.add(f);
    names.add(f.startsWith('/usr/') ? f.slice(4) : `/usr${f}`);
  }
  return [...names];
}

/** File to owning package, for every file dpkg knows, in one `dpkg -S` (it is slow per call). */
function owners(files: string[]): Map<string, string> {
  const r = execaSync('dpkg', ['-S', ...files], { reject: false });
  const map = new Map<string, string>();
  // "PACKAGE[:ARCH][, PACKAGE]: PATH"; "diversion by PACKAGE ..." lines are left out
  for (const line of r.stdout.split('\n')) {
    if (!line || line.startsWith('diversion')) continue;
    const at = line.indexOf(': ');
    if (at < 0) continue;
    const file = line.slice(at + 2);
    if (!map.has(file)) map.set(file, line.slice(0, at).split(', ')[0].replace(/:[a-z0-9_]+$/, ''));
  }
  return map;
}

const SOURCE_DIRS = ['framework', 'analysis', 'proxy', 'testbed', 'common', 'scenarios', 'scripts', 'test', 'bin'];
/** Run by name but not from Debian: the machine's Node.js. */
const NOT_DEBIAN = new Set(['node', 'npm', 'npx']);

function sourceFiles(dir: string, out: string[] = []): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules' && e.name !== 'fixtures') sourceFiles(p, out);
    } else if (/\.(ts|js|mjs|sh)$/.test(e.name) || e.name === 'setup.sh') {
      out.push(p);
    }
  }
  return out;
}

/** The commands a source file runs, as far as their names are written out. */
export function commandsRunBy(text: string): string[] {
  const found = new Set<string>();
  const name = (s: string) => path.posix.basename(s);
  const patterns = [
    /\b(?:execa|execaSync|spawn|spawnSync|execFile|execFileSync)\(\s*'([^'\s]+)'/g,
    /\binNetns\([^,()]+,\s*'([^'\s]+)'/g,
    /'exec',\s*[^,\]]+,\s*'([^'\s]+)'/g,
    /'((?:\/usr)?\/s?bin\/[A-Za-z0-9_.+-]+)'/g,
    /'(mptcpize)',\s*'run'/g,
  ];
  for (const re of patterns) for (const m of text.matchAll(re)) found.add(name(m[1]));
  for (const m of text.matchAll(/\bcommands:\s*\[((?:\s*'[^']*',?)*\s*)\]/g)) for (const q of m[1].matchAll(/'([^']+)'/g)) found.add(q[1]);
  return [...found];
}

describe('external commands (scripts/external-commands.txt)', () => {
  const listed = externalCommands();
  const packages = new Set(debianPackages());

  it('names for each command a package that scripts/debian-packages.txt installs', () => {
    const unlisted = [...listed].filter(([, pkg]) => !packages.has(pkg)).map(([cmd, pkg]) => `${cmd}: ${pkg}`);
    expect(unlisted).toEqual([]);
  });

  it('finds each command on this machine in the package the list names (dpkg -S), not installed by hand', () => {
    const problems: string[] = [];
    const found = [...listed].map(([command, pkg]) => ({ command, pkg, files: onPath(command) }));
    const known = owners(found.flatMap((f) => f.files.flatMap(dpkgNames)));
    for (const { command, pkg, files } of found) {
      if (files.length === 0) {
        problems.push(`${command}: not on PATH (scripts/setup.sh installs ${pkg})`);
        continue;
      }
      const packagesOf = files.map((f) => ({ file: f, pkg: dpkgNames(f).map((n) => known.get(n)).find(Boolean) }));
      if (!packagesOf.some((o) => o.pkg === pkg)) problems.push(`${command}: ${packagesOf.map((o) => `${o.file} belongs to ${o.pkg ?? 'no Debian package'}`).join(', ')}; expected package ${pkg}`);
    }
    expect(problems).toEqual([]);
  });

  it('lists every command the sources run', () => {
    const problems: string[] = [];
    for (const dir of SOURCE_DIRS) {
      for (const file of sourceFiles(path.join(REPO_ROOT, dir))) {
        for (const command of commandsRunBy(readFileSync(file, 'utf8'))) {
          if (!listed.has(command) && !NOT_DEBIAN.has(command)) problems.push(`${path.relative(REPO_ROOT, file)} runs ${command}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('finds the commands in the ways the sources run them', () => {
    const text = [
      "await execa('tshark', ['-r', file]);",
      "inNetns(ns, 'mptcpize', ['run', 'curl']);",
      "spawn('ip', ['netns', 'exec', this.netns, 'unshare', '--mount']);",
      "const argv = ['/usr/bin/socat', '-'];",
      "const wrap = ['mptcpize', 'run', ...argv];",
      "skipUnless({ root: true, commands: ['adb', 'nft'] })",
      "return { commands: [sysctl('mptcp_enabled', 0)] };",
    ].join('\n');
    expect(commandsRunBy(text).sort()).toEqual(['adb', 'ip', 'mptcpize', 'nft', 'socat', 'tshark', 'unshare']);
  });
});
