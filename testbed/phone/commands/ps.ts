import type { PhoneProcess } from '../sandbox.js';
import { usageError, type Command, type CommandContext } from './context.js';

/**
 * ps, as Android's toybox prints it (the header the UiAutomator2 driver parses: USER PID PPID VSZ
 * RSS WCHAN ADDR S NAME): the processes that really run in the phone, plus, for a running app that
 * has no process of its own yet, the phone's stand-in for it (the pid its log lines carry).
 */

const HELP = `usage: ps [-AadefLlnwZ] [-gG GROUP,] [-k FIELD,] [-o FIELD,] [-p PID,] [-t TTY,] [-uU USER,]

List processes.

Which processes to show (-gGuUpPt selections may be comma separated lists):

-A  All                         -a  Has terminal not session leader
-d  All but session leaders     -e  Synonym for -A
-g  In GROUPs                   -G  In real GROUPs (before sgid)
-p  PIDs (--pid)                -P  Parent PIDs (--ppid)
-s  In session IDs              -t  Attached to selected TTYs
-T  Show threads                -u  Owned by selected USERs
-U  Real USERs (before suid)

Output modifiers:

-k  Sort FIELDs (-FIELD to reverse)   -M  Measure/pad future field widths
-n  Show numeric USER and GROUP       -w  Wide output (don't truncate fields)

Which FIELDs to show. (-o HELP for list, default = -o PID,TTY,TIME,CMD)

-f  Full listing (-o USER:12=UID,PID,PPID,C,STIME,TTY,TIME,ARGS=CMD)
-l  Long listing (-o F,S,UID,PID,PPID,C,PRI,NI,ADDR,SZ,WCHAN,TTY,TIME,CMD)
-o  Output FIELDs instead of defaults, each with optional :size and =title
-O  Add FIELDS to defaults
-Z  Include LABEL
`;

export function userName(uid: number): string {
  if (uid === 0) return 'root';
  if (uid === 1000) return 'system';
  if (uid === 2000) return 'shell';
  if (uid >= 10000 && uid < 20000) return `u0_a${uid - 10000}`;
  return String(uid);
}

const COLUMNS: Record<string, { title: string; width: number; left?: boolean; value: (p: PhoneProcess) => string }> = {
  user: { title: 'USER', width: 12, left: true, value: (p) => userName(p.uid) },
  uid: { title: 'UID', width: 5, value: (p) => String(p.uid) },
  pid: { title: 'PID', width: 5, value: (p) => String(p.pid) },
  ppid: { title: 'PPID', width: 5, value: (p) => String(p.ppid) },
  vsz: { title: 'VSZ', width: 7, value: (p) => String(p.vszKb) },
  rss: { title: 'RSS', width: 6, value: (p) => String(p.rssKb) },
  wchan: { title: 'WCHAN', width: 16, left: true, value: (p) => p.wchan.slice(0, 16) },
  addr: { title: 'ADDR', width: 4, value: () => '0' },
  s: { title: 'S', width: 1, left: true, value: (p) => p.state },
  name: { title: 'NAME', width: 0, left: true, value: (p) => p.name },
  cmd: { title: 'CMD', width: 0, left: true, value: (p) => p.name },
  args: { title: 'ARGS', width: 0, left: true, value: (p) => p.args },
};
const DEFAULT_COLUMNS = ['user', 'pid', 'ppid', 'vsz', 'rss', 'wchan', 'addr', 's', 'name'];

/** The phone's processes, real and stand-in, in pid order. */
async function phoneProcesses(context: CommandContext): Promise<PhoneProcess[]> {
  const real = await context.processes();
  const pids = new Set(real.map((p) => p.pid));
  const system = context.system;
  const standIns: PhoneProcess[] = [];
  for (const pkg of system.apps.keys()) {
    const pid = system.isRunning(pkg) ? system.pidOf(pkg) : undefined;
    if (pid === undefined || pids.has(pid)) continue;
    standIns.push({ pid, ppid: 1, uid: system.uidOf(pkg) ?? 10000, state: 'S', vszKb: 0, rssKb: 0, wchan: '0', name: pkg, args: pkg });
  }
  return [...real, ...standIns].sort((a, b) => a.pid - b.pid);
}

function format(rows: PhoneProcess[], columns: string[]): string {
  const line = (cell: (c: (typeof COLUMNS)[string]) => string) =>
    columns
      .map((name) => {
        const c = COLUMNS[name];
        const text = cell(c);
        return c.left ? text.padEnd(c.width) : text.padStart(c.width);
      })
      .join(' ')
      .trimEnd();
  return [line((c) => c.title), ...rows.map((p) => line((c) => c.value(p)))].map((l) => `${l}\n`).join('');
}

/** ps [-A|-e] [-p PID,...] [-o FIELD,...] [NAME...] */
export const ps: Command = async (context) => {
  const args = context.argv.slice(1);
  let all = false;
  let pids: number[] | undefined;
  let columns = DEFAULT_COLUMNS;
  const names: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--help') {
      context.stdout(HELP);
      return 0;
    }
    if (a === '-A' || a === '-e') all = true;
    else if (a === '-p' || a === '--pid') {
      const list = args[++i];
      if (!list || !/^\d+(,\d+)*$/.test(list)) return usageError(context, `ps: bad -p '${list ?? ''}'`);
      pids = list.split(',').map(Number);
    } else if (a === '-o') {
      const list = args[++i] ?? '';
      const wanted = list.toLowerCase().split(',').map((f) => f.replace(/[:=].*$/, ''));
      const unknown = wanted.find((f) => !COLUMNS[f]);
      if (unknown !== undefined) return usageError(context, `ps: bad -o ${unknown}`);
      columns = wanted;
    } else if (a.startsWith('-')) {
      continue;
    } else names.push(a);
  }
  let rows = await phoneProcesses(context);
  if (pids) rows = rows.filter((p) => pids!.includes(p.pid));
  else if (names.length) rows = rows.filter((p) => names.includes(p.name));
  else if (!all) rows = rows.filter((p) => p.uid === context.uid);
  context.stdout(format(rows, columns));
  return 0;
};
