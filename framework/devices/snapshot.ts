import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Device } from './device.js';
import { commandText, type ShellCommand } from './shell.js';

/**
 * `mplab device <id> snapshot --out DIR`: the phone's network and MPTCP state as text files, one
 * per command, plus snapshot.json with each command's exit status and duration. A command that
 * fails is recorded, not fatal: a snapshot is evidence, and partial evidence beats none.
 */
export interface SnapshotItem {
  file: string;
  command: ShellCommand;
  root?: boolean;
}

export function snapshotItems(device: Device): SnapshotItem[] {
  const rootOk = device.config.root;
  return [
    { file: 'ip-addr.txt', command: ['ip', 'addr', 'show'] },
    { file: 'ip-link.txt', command: ['ip', '-s', 'link', 'show'] },
    { file: 'ip-rule.txt', command: ['ip', 'rule', 'show'] },
    { file: 'ip-route.txt', command: ['ip', 'route', 'show', 'table', 'all'] },
    { file: 'mptcp-endpoints.txt', command: ['ip', 'mptcp', 'endpoint', 'show'], root: rootOk },
    { file: 'mptcp-limits.txt', command: ['ip', 'mptcp', 'limits', 'show'], root: rootOk },
    { file: 'mptcp-sysctl.txt', command: { script: 'for f in /proc/sys/net/mptcp/*; do [ -r "$f" ] && echo "$f = $(cat "$f")"; done; true' } },
    // nstat is not on every phone; /proc/net/netstat and snmp hold the same counters (MPTcpExt, TcpExt)
    { file: 'nstat.txt', command: { script: 'nstat -az 2>/dev/null || { cat /proc/net/netstat; cat /proc/net/snmp; }' } },
    { file: 'dumpsys-connectivity.txt', command: ['dumpsys', 'connectivity'] },
    { file: 'dumpsys-wifi.txt', command: ['dumpsys', 'wifi'] },
    { file: 'dumpsys-telephony.txt', command: ['dumpsys', 'telephony.registry'] },
    { file: 'getprop.txt', command: ['getprop'] },
  ];
}

export interface SnapshotRecord {
  file: string;
  command: string;
  exitCode: number | null;
  error: string | null;
  bytes: number;
  durationMs: number;
}

export async function takeSnapshot(device: Device, outDir: string): Promise<{ dir: string; records: SnapshotRecord[] }> {
  await mkdir(outDir, { recursive: true });
  const records: SnapshotRecord[] = [];
  for (const item of snapshotItems(device)) {
    const started = Date.now();
    const text = commandText(item.command);
    try {
      const r = item.root ? await device.rootShell(item.command, { timeoutMs: 30_000 }) : await device.shell(item.command, { timeoutMs: 30_000 });
      const body = r.stderr.length ? Buffer.concat([r.stdout, Buffer.from('\n--- stderr ---\n'), r.stderr]) : r.stdout;
      await writeFile(join(outDir, item.file), body);
      records.push({ file: item.file, command: text, exitCode: r.exitCode, error: null, bytes: body.length, durationMs: Date.now() - started });
    } catch (err) {
      records.push({ file: item.file, command: text, exitCode: null, error: (err as Error).message, bytes: 0, durationMs: Date.now() - started });
      device.log.warn({ file: item.file, err: (err as Error).message }, 'snapshot item failed');
    }
  }
  const meta = { device: device.config.id, label: device.config.label, time: Date.now() / 1000, items: records };
  await writeFile(join(outDir, 'snapshot.json'), `${JSON.stringify(meta, null, 2)}\n`);
  return { dir: outDir, records };
}
