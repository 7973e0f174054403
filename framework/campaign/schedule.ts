import path from 'node:path';
import { Cron } from 'croner';
import { UserError } from '../../common/errors.js';

/**
 * `mplab campaign schedule`: a campaign started at the times of a cron expression, in the
 * foreground (croner; one run at a time: a time that comes while the last run goes on is
 * skipped), or as a systemd service and timer that do the same for hosts that prefer systemd.
 */
export function parseCron(expression: string, timezone?: string): Cron {
  try {
    return new Cron(expression, { paused: true, timezone });
  } catch (err) {
    throw new UserError(`--cron ${JSON.stringify(expression)}: ${(err as Error).message} (expected five fields: minute hour day-of-month month day-of-week, e.g. "0 1 * * *")`, 2);
  }
}

/** The next `count` start times, for the user to check the expression. */
export function nextRuns(expression: string, count: number, from = new Date(), timezone?: string): Date[] {
  return parseCron(expression, timezone).nextRuns(count, from);
}

/**
 * systemd's OnCalendar= for the simple cron expressions (numbers, lists, ranges, steps and * in
 * each field); null for what it cannot say (names, L, W, #): use the foreground scheduler then.
 */
export function onCalendar(expression: string): string | null {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5 || fields.some((f) => !/^[\d*,/-]+$/.test(f))) return null;
  const [minute, hour, dom, month, dow] = fields;
  const conv = (f: string, pad = 2): string =>
    f === '*'
      ? '*'
      : f
          .split(',')
          .map((part) => {
            const [range, step] = part.split('/');
            const [a, b] = range.split('-');
            const p = (x: string) => x.padStart(pad, '0');
            const base = range === '*' ? '*' : b !== undefined ? `${p(a)}..${p(b)}` : p(a);
            return step ? `${base === '*' ? '00' : base}/${step}` : base;
          })
          .join(',');
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  let weekday = '';
  if (dow !== '*') {
    if (dow.includes('/')) return null;
    weekday = `${dow
      .split(',')
      .map((part) => {
        const [a, b] = part.split('-').map((x) => days[Number(x) % 7]);
        return b ? `${a}..${b}` : a;
      })
      .join(',')} `;
  }
  return `${weekday}*-${conv(month)}-${conv(dom)} ${conv(hour)}:${conv(minute)}:00`;
}

export interface SystemdUnits {
  service: string;
  timer: string;
  name: string;
}

/** A oneshot service running `mplab campaign run FILE` and a timer at the cron's times (Persistent: a missed night runs at boot). */
export function systemdUnits(opts: { file: string; cron: string; name: string; workDir: string; mplab: string; logFile: string }): SystemdUnits {
  const calendar = onCalendar(opts.cron);
  if (!calendar) throw new UserError(`--cron ${JSON.stringify(opts.cron)}: systemd's OnCalendar cannot say this expression; use numbers, lists, ranges and steps, or the foreground scheduler`, 2);
  const q = (s: string) => (/^[A-Za-z0-9_./:@+-]+$/.test(s) ? s : `"${s.replace(/(["\\$`])/g, '\\$1')}"`);
  const service = `[Unit]
Description=mplab campaign ${opts.name} (${path.basename(opts.file)})
After=network.target

[Service]
Type=oneshot
WorkingDirectory=${q(opts.workDir)}
Environment=MPLAB_LOG_FORMAT=json
ExecStart=${q(process.execPath)} ${q(opts.mplab)} campaign run ${q(opts.file)}
StandardOutput=append:${opts.logFile}
StandardError=append:${opts.logFile}
# no time limit (a oneshot's default, written out): each test's cap and the campaign's retries bound a run
TimeoutStartSec=infinity
`;
  const timer = `[Unit]
Description=mplab campaign ${opts.name} at "${opts.cron}"

[Timer]
OnCalendar=${calendar}
Persistent=true
Unit=mplab-campaign-${opts.name}.service

[Install]
WantedBy=timers.target
`;
  return { service, timer, name: `mplab-campaign-${opts.name}` };
}
