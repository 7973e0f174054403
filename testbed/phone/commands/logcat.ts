import { formatEntry, logFilter, type LogBufferName, type LogEntry, type LogFormat } from '../logcat.js';
import { usageError, type Command } from './context.js';

const FORMATS = new Set<LogFormat>(['threadtime', 'brief', 'time', 'tag', 'process', 'raw', 'long']);
const BUFFERS: readonly LogBufferName[] = ['main', 'system', 'crash', 'events', 'radio'];
const DEFAULT_BUFFERS: readonly LogBufferName[] = ['main', 'system', 'crash'];

const USAGE = `Usage: logcat [options] [filterspecs]
General options:
  -b, --buffer=<buffer>       Request alternate ring buffer(s): main system radio events crash default all
  -c, --clear                 Clear (flush) the entire log and exit.
  -d                          Dump the log and then exit (don't block).
  -g, --buffer-size           Get the size of the ring buffers within logd.
  -s                          Set default filter to silent. Equivalent to filterspec '*:S'
  -t <count>                  Print only the most recent <count> lines (implies -d).
  -t '<time>'                 Print the lines since specified time (implies -d).
  -T <count>                  Print only the most recent <count> lines (does not imply -d).
  -T '<time>'                 Print the lines since specified time (not imply -d).
                              count is pure numerical, time is 'MM-DD hh:mm:ss.mmm...'
                              'YYYY-MM-DD hh:mm:ss.mmm...' or 'sssss.mmm...' format.
  -v, --format=<format>       Sets log print format verb and adverbs: brief long process raw tag thread threadtime time
  -e, --regex <expr>          Only print lines where the log message matches <expr>.
  --pid=<pid>                 Only print logs from the given pid.
`;

interface LogcatOptions {
  dump: boolean;
  clear: boolean;
  sizes: boolean;
  format: LogFormat;
  buffers: LogBufferName[];
  specs: string[];
  tail?: number;
  /** -t/-T with a time: entries at or after it (epoch milliseconds). */
  since?: number;
  regex?: RegExp;
  pid?: number;
}

function parse(args: readonly string[]): LogcatOptions | string {
  const o: LogcatOptions = { dump: false, clear: false, sizes: false, format: 'threadtime', buffers: [], specs: [] };
  const value = (i: number, a: string): [string | undefined, number] => {
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) return [a.slice(eq + 1), i];
    if (!a.startsWith('--') && a.length > 2) return [a.slice(2), i];
    return [args[i + 1], i + 1];
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const name = a.startsWith('--') ? a.replace(/=.*/, '') : a.slice(0, 2);
    if (!a.startsWith('-')) {
      o.specs.push(a);
      continue;
    }
    switch (name) {
      case '-d':
        o.dump = true;
        break;
      case '-c':
      case '--clear':
        o.clear = true;
        break;
      case '-g':
      case '--buffer-size':
        o.sizes = true;
        break;
      case '-s':
        o.specs.unshift('*:S');
        break;
      case '-v':
      case '--format': {
        const [v, next] = value(i, a);
        i = next;
        if (v === undefined) return 'logcat: option requires an argument -- v';
        // adverbs (color, epoch, uid, ...) are accepted and ignored
        if (FORMATS.has(v as LogFormat)) o.format = v as LogFormat;
        break;
      }
      case '-b':
      case '--buffer': {
        const [v, next] = value(i, a);
        i = next;
        if (v === undefined) return 'logcat: option requires an argument -- b';
        for (const b of v.split(',')) {
          if (b === 'all') o.buffers.push(...BUFFERS);
          else if (b === 'default') o.buffers.push(...DEFAULT_BUFFERS);
          else if ((BUFFERS as readonly string[]).includes(b)) o.buffers.push(b as LogBufferName);
          else return `logcat: unknown buffer ${b}`;
        }
        break;
      }
      case '-t':
      case '-T': {
        const [v, next] = value(i, a);
        i = next;
        if (v !== undefined && /^\d+$/.test(v)) o.tail = Number(v);
        else {
          const since = v === undefined ? undefined : parseLogTime(v);
          if (since === undefined) return `logcat: ${name} needs a line count or a time ('MM-DD hh:mm:ss.mmm', 'YYYY-MM-DD hh:mm:ss.mmm' or 'sssss.mmm')`;
          o.since = since;
        }
        if (name === '-t') o.dump = true;
        break;
      }
      case '-e':
      case '--regex': {
        const [v, next] = value(i, a);
        i = next;
        try {
          o.regex = new RegExp(v ?? '');
        } catch {
          return `logcat: invalid regex ${v}`;
        }
        break;
      }
      case '--pid': {
        const [v, next] = value(i, a);
        i = next;
        if (!v || !/^\d+$/.test(v)) return 'logcat: --pid needs a number';
        o.pid = Number(v);
        break;
      }
      default:
        return `logcat: unknown option ${a}`;
    }
  }
  if (o.buffers.length === 0) o.buffers = [...DEFAULT_BUFFERS];
  return o;
}

/** A time as logcat's -t/-T take it: epoch seconds with a fraction, or a local date and time (this year when the year is left out). */
export function parseLogTime(text: string): number | undefined {
  if (/^\d+\.\d+$/.test(text)) return Math.round(Number(text) * 1000);
  const m = /^(?:(\d{4})-)?(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/.exec(text);
  if (!m) return undefined;
  const year = m[1] ? Number(m[1]) : new Date().getFullYear();
  return new Date(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), Number((m[7] ?? '0').padEnd(3, '0'))).getTime();
}

/** logcat [-d] [-c] [-v FORMAT] [-b BUFFER] [-t N | -T N] [-e REGEX] [--pid PID] [TAG:P ...] */
export const logcat: Command = (context) => {
  const o = parse(context.argv.slice(1));
  if (typeof o === 'string') return usageError(context, `${o}\n${USAGE}`);
  const logs = context.system.logs;
  if (o.clear) {
    logs.clear(o.buffers);
    return 0;
  }
  if (o.sizes) {
    for (const b of o.buffers) context.stdout(`${b}: ring buffer is 256 KiB (${Math.ceil(logs.size(b) / 1024)} KiB consumed), max entry is 5120 B, max payload is 4068 B\n`);
    return 0;
  }
  const filter = logFilter(o.specs);
  const wanted = new Set(o.buffers);
  const passes = (e: LogEntry) =>
    wanted.has(e.buffer) && filter(e) && (o.pid === undefined || e.pid === o.pid) && (!o.regex || o.regex.test(e.message)) && (o.since === undefined || e.time >= o.since);
  const print = (e: LogEntry) => context.stdout(`${formatEntry(e, o.format)}\n`);
  let backlog = logs.entries(o.buffers).filter(passes);
  if (o.tail !== undefined) backlog = backlog.slice(Math.max(0, backlog.length - o.tail));
  // logcat prints a header per buffer when it starts reading it
  const started = new Set<LogBufferName>();
  const printWithHeader = (e: LogEntry) => {
    if (!started.has(e.buffer)) {
      started.add(e.buffer);
      context.stdout(`--------- beginning of ${e.buffer}\n`);
    }
    print(e);
  };
  backlog.forEach(printWithHeader);
  if (o.dump) return 0;
  return new Promise<number>((resolve) => {
    const follow = (e: LogEntry) => {
      if (passes(e)) printWithHeader(e);
    };
    logs.on('entry', follow);
    context.signal.addEventListener('abort', () => {
      logs.off('entry', follow);
      resolve(130);
    });
  });
};
