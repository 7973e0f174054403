import dns from 'node:dns/promises';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { UserError } from '../common/errors.js';

/**
 * How the proxy turns a requested domain name into addresses: first a hosts(5)-format file given
 * with `--hosts` (a lab's names, without touching the host's /etc/hosts), then, unless switched off,
 * the system resolver.
 */
export type Resolver = (name: string) => Promise<string[]>;

export class ResolveError extends Error {
  constructor(
    readonly host: string,
    readonly code: string,
  ) {
    super(`cannot resolve ${host}: ${code}`);
    this.name = 'ResolveError';
  }
}

/** hosts(5): "address name [aliases...]" per line, # comments. Names map to addresses in file order. */
export function parseHosts(text: string, file = 'hosts file'): Map<string, string[]> {
  const table = new Map<string, string[]>();
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) return;
    const [address, ...names] = line.split(/\s+/);
    if (!net.isIP(address) || names.length === 0) {
      throw new UserError(`${file}, line ${index + 1}: expected "ADDRESS NAME [ALIAS...]" with an IPv4 or IPv6 address, got ${JSON.stringify(raw.trim())}`);
    }
    for (const name of names) {
      const key = name.toLowerCase();
      const list = table.get(key) ?? [];
      if (!list.includes(address)) list.push(address);
      table.set(key, list);
    }
  });
  return table;
}

export async function loadHosts(file: string): Promise<Map<string, string[]>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UserError(`--hosts ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return parseHosts(text, file);
}

export function makeResolver(opts: { hosts?: Map<string, string[]>; dns: boolean }): Resolver {
  return async (name) => {
    if (net.isIP(name)) return [name];
    const fromFile = opts.hosts?.get(name.toLowerCase());
    if (fromFile) return fromFile;
    if (!opts.dns) throw new ResolveError(name, 'ENOTFOUND');
    try {
      const found = await dns.lookup(name, { all: true, verbatim: true });
      if (found.length === 0) throw new ResolveError(name, 'ENOTFOUND');
      return found.map((entry) => entry.address);
    } catch (err) {
      if (err instanceof ResolveError) throw err;
      throw new ResolveError(name, (err as NodeJS.ErrnoException).code ?? 'ENOTFOUND');
    }
  };
}
