import type { GridConfig } from '../config/hosts.js';
import type { HostWithPhones } from '../config/devices-file.js';
import { adbServer } from './device.js';

/**
 * `mplab devices check`'s probe of each phone host: is the host reachable, does its adb server
 * answer (and which version), does its Appium server answer GET /status, which of its phones
 * the adb server lists in which state; and whether the Grid hub is ready and which phones its
 * nodes offer (`appium:udid` of each slot). Every probe has a short timeout: a host that is
 * gone costs seconds, not minutes.
 */
export interface HostReport {
  name: string;
  declared: boolean;
  adbServer: string;
  /** "reachable", or why not: "unreachable (EHOSTUNREACH)", "no answer within 3 s". */
  reachability: string;
  /** "adb server version 41" or why not. */
  adb: { ok: boolean; text: string };
  appium: { url: string; ok: boolean; text: string } | null;
  phones: Array<{ label: string; serial: string; state: string }>;
}

export interface GridReport {
  url: string;
  ok: boolean;
  text: string;
  /** The udids the Grid's nodes offer, each with the node's URI. */
  udids: Array<{ udid: string; node: string; availability: string }>;
}

const PROBE_MS = 3_000;

function errText(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const code = e.cause?.code ?? e.code;
  return code ? `${code}${e.cause?.message ? `: ${e.cause.message}` : ''}` : (e.message ?? String(err));
}

/** What a failed connection to the adb server says of the host itself: a refusal comes from a host that is there. */
function reachabilityOf(err: unknown): string {
  const text = errText(err);
  if (/ECONNREFUSED/.test(text)) return 'reachable (it refused the adb server port)';
  return `unreachable (${text})`;
}

export async function probeHost(entry: HostWithPhones): Promise<HostReport> {
  const { host } = entry;
  const report: HostReport = { name: host.name, declared: entry.declared, adbServer: host.adbServer, reachability: 'reachable', adb: { ok: false, text: '' }, appium: null, phones: [] };
  const server = adbServer(host.adbServer);
  let listed: Array<{ serial: string; state: string }> | null = null;
  try {
    const version = await server.version(PROBE_MS);
    listed = await server.list(PROBE_MS);
    report.adb = { ok: true, text: `adb server ${host.adbServer} answers (protocol version ${version}), ${listed.length} transport${listed.length === 1 ? '' : 's'}` };
  } catch (err) {
    report.reachability = reachabilityOf(err);
    report.adb = { ok: false, text: `adb server ${host.adbServer} does not answer: ${errText(err)}` };
  }
  if (host.appium) report.appium = { url: host.appium, ...(await probeStatus(host.appium)) };
  report.phones = entry.phones.map((d) => ({
    label: d.label,
    serial: d.id,
    state: listed === null ? 'unknown (adb server down)' : (listed.find((e) => e.serial === d.id)?.state ?? 'absent'),
  }));
  return report;
}

/** GET URL/status: Appium's and the Grid's answer `{"value": {"ready": ..., "message": ...}}`. */
async function probeStatus(url: string): Promise<{ ok: boolean; text: string; value?: Record<string, unknown> }> {
  try {
    const response = await fetch(`${url}/status`, { signal: AbortSignal.timeout(PROBE_MS) });
    if (!response.ok) return { ok: false, text: `GET /status: HTTP ${response.status}` };
    const body = (await response.json()) as { value?: Record<string, unknown> };
    const value = body.value ?? {};
    const ready = value.ready !== false;
    const message = typeof value.message === 'string' ? value.message : '';
    return { ok: ready, text: `${ready ? 'ready' : 'not ready'}${message ? `: ${message}` : ''}`, value };
  } catch (err) {
    return { ok: false, text: `GET /status failed: ${errText(err)}` };
  }
}

interface GridSlot {
  stereotype?: Record<string, unknown>;
}
interface GridNode {
  uri?: string;
  availability?: string;
  slots?: GridSlot[];
}

export async function probeGrid(grid: GridConfig): Promise<GridReport> {
  const status = await probeStatus(grid.url);
  const nodes = ((status.value?.nodes as GridNode[] | undefined) ?? []).filter((n) => n && typeof n === 'object');
  const udids = nodes.flatMap((n) =>
    (n.slots ?? []).map((s) => ({ udid: String(s.stereotype?.['appium:udid'] ?? '?'), node: n.uri ?? '?', availability: n.availability ?? '?' })),
  );
  return { url: grid.url, ok: status.ok, text: `${status.text}${status.value ? `; ${nodes.length} node${nodes.length === 1 ? '' : 's'}` : ''}`, udids };
}

/** The report as lines for a terminal. */
export function formatHostReports(hosts: HostReport[], grid: GridReport | null): string {
  const lines: string[] = [];
  for (const h of hosts) {
    lines.push(`host ${h.name}${h.declared ? '' : ' (phones without a "host")'}: ${h.reachability}`);
    lines.push(`  adb:    ${h.adb.ok ? 'ok' : 'DOWN'}  ${h.adb.text}`);
    if (h.appium) lines.push(`  appium: ${h.appium.ok ? 'ok' : 'DOWN'}  ${h.appium.url} ${h.appium.text}`);
    for (const p of h.phones) lines.push(`  phone ${p.label} (${p.serial}): ${p.state}${grid ? `; grid: ${gridOffer(grid, p.serial)}` : ''}`);
  }
  if (grid) lines.push(`grid ${grid.url}: ${grid.ok ? 'ok' : 'DOWN'}  ${grid.text}`);
  return lines.join('\n');
}

function gridOffer(grid: GridReport, serial: string): string {
  const slot = grid.udids.find((u) => u.udid === serial);
  return slot ? `offered by node ${slot.node} (${slot.availability})` : 'no node offers it';
}

/** Everything answers and every phone is `device`. */
export function allHealthy(hosts: HostReport[], grid: GridReport | null): boolean {
  const hostsOk = hosts.every((h) => h.adb.ok && (h.appium?.ok ?? true) && h.phones.every((p) => p.state === 'device'));
  return hostsOk && (grid === null || (grid.ok && hosts.every((h) => h.phones.every((p) => grid.udids.some((u) => u.udid === p.serial)))));
}
