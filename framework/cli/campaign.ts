import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { UserError } from '../../common/errors.js';
import { log, setLogLevel } from '../../common/log.js';
import { REPO_ROOT } from '../../common/paths.js';
import { loadCampaignFile } from '../campaign/campaign-file.js';
import { CAMPAIGN_EXIT, campaignExitCode, resumeCampaign, startCampaign, type CampaignSummary } from '../campaign/campaign.js';
import { LiveView } from '../campaign/live-view.js';
import { ownerAlive } from '../campaign/phone-lock.js';
import { nextRuns, parseCron, systemdUnits } from '../campaign/schedule.js';
import { CampaignStore } from '../campaign/store/store.js';
import { devicesFilePath, loadDevicesFile } from '../config/devices-file.js';

/**
 * `mplab campaign run|resume|list|status|cancel|schedule` (README "Campaigns", docs/campaigns.md).
 * Exit statuses of run and resume: 0 every test passed (or was skipped for a reason of the
 * matrix), 1 a scenario failed, 6 an infrastructure error, a phone taken out or a cancel, 2 usage
 * or an invalid campaign file, 3 devices.json, 7 a phone is in another campaign, 130 interrupted.
 */
interface RunOpts {
  devices?: string;
  day?: string;
  json?: boolean;
}

function resultsOption(cmd: Command): Command {
  return cmd.option('--results <dir>', 'the results folder holding the store (default runs/campaigns)', path.join(REPO_ROOT, 'runs', 'campaigns'));
}

function summaryText(s: CampaignSummary): string {
  const c = s.counts;
  const lines = [
    `campaign ${s.campaign.id} (${s.campaign.state}; day ${s.campaign.day}, seed ${s.campaign.seed})`,
    `  tests    ${c.total}`,
    `  passed   ${c.passed}`,
    `  failed   ${c.failed}`,
    `  error    ${c.error}`,
    `  skipped  ${c.skipped}`,
  ];
  if (c.pending) lines.push(`  pending  ${c.pending} (mplab campaign resume ${s.campaign.id})`);
  if (s.unhealthy.length) lines.push(`  phones taken out: ${s.unhealthy.map((p) => (s.out[p] ? `${p} (${s.out[p]})` : p)).join('; ')}`);
  lines.push(`  store    ${s.store}`, `  junit    ${s.junit}`);
  return `${lines.join('\n')}\n`;
}

async function runWithView(
  opts: RunOpts,
  phones: string[],
  go: (o: Parameters<typeof startCampaign>[1]) => Promise<CampaignSummary>,
): Promise<void> {
  const devices = await loadDevicesFile(devicesFilePath(opts.devices));
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.signal.aborted) process.exit(CAMPAIGN_EXIT.interrupted);
    process.stderr.write(`\n${signal}: stopping the running tests (they clean up); again to quit at once\n`);
    stop.abort(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const tty = process.stderr.isTTY && !opts.json && process.env.MPLAB_LOG_FORMAT !== 'json';
  // on a terminal the live view replaces the log lines (each test keeps its own log file)
  if (tty) setLogLevel('error');
  let view: LiveView | undefined;
  try {
    const summary = await go({
      devices,
      log: log('campaign'),
      signal: stop.signal,
      day: opts.day,
      onEvent: (e, store, id) => {
        if (!tty) return;
        view ??= new LiveView(process.stderr, phones, store, id);
        view.event(e);
      },
    });
    view?.close();
    if (opts.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    else process.stdout.write(summaryText(summary));
    process.exitCode = campaignExitCode(summary);
  } finally {
    view?.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function day(text: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) throw new UserError(`--day ${JSON.stringify(text)}: expected YYYY-MM-DD`, 2);
  return text;
}

function openStore(results: string): CampaignStore {
  try {
    return CampaignStore.inResults(results, { readonly: true });
  } catch (err) {
    throw new UserError(`no campaign store in ${results} (${(err as Error).message})`, 2);
  }
}

export function registerCampaign(program: Command): void {
  const campaign = program.command('campaign').description('campaigns: a matrix of tests on several phones, shuffled per day, resumable, with a store');

  campaign
    .command('run')
    .description('run a campaign file now')
    .argument('<file>', 'the campaign file (YAML or JSON)')
    .option('--day <YYYY-MM-DD>', 'shuffle as on that day (replays a night\'s order)', day)
    .option('--devices <file>', 'devices.json to use (default: $MPLAB_DEVICES or ./devices.json)')
    .option('--json', 'the summary as JSON on stdout')
    .action(async (file: string, opts: RunOpts) => {
      const spec = loadCampaignFile(file);
      await runWithView(opts, spec.phones, (o) => startCampaign(spec, o));
    });

  resultsOption(
    campaign
      .command('resume')
      .description('take a campaign up again: runs the tests that had not finished, never a finished one again')
      .argument('<id>', 'the campaign (mplab campaign list)')
      .option('--devices <file>', 'devices.json to use')
      .option('--json', 'the summary as JSON on stdout'),
  ).action(async (id: string, opts: RunOpts & { results: string }) => {
    const store = openStore(path.resolve(opts.results));
    const row = store.campaign(id);
    store.close();
    if (!row) throw new UserError(`no campaign ${id} in ${opts.results}`, 2);
    await runWithView(opts, row.spec.phones, (o) => resumeCampaign(id, path.resolve(opts.results), o));
  });

  resultsOption(campaign.command('list').description('the campaigns of the store, with their counts').option('--json', 'JSON on stdout')).action((opts: { results: string; json?: boolean }) => {
    const store = openStore(path.resolve(opts.results));
    const rows = store.campaigns().map((c) => ({ id: c.id, state: liveState(c), day: c.day, seed: c.seed, started: new Date((c.started ?? c.created) * 1000).toISOString(), counts: store.counts(c.id) }));
    store.close();
    if (opts.json) return void process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    for (const r of rows) {
      const c = r.counts;
      process.stdout.write(`${r.id.padEnd(36)} ${r.state.padEnd(12)} ${r.started}  ${c.passed + c.failed + c.error + c.skipped}/${c.total} done: ${c.passed} passed, ${c.failed} failed, ${c.error} error, ${c.skipped} skipped\n`);
    }
  });

  resultsOption(campaign.command('status').description('a campaign\'s tests, their state, attempts and reasons').argument('<id>').option('--json', 'JSON on stdout')).action(
    (id: string, opts: { results: string; json?: boolean }) => {
      const store = openStore(path.resolve(opts.results));
      const c = store.campaign(id);
      if (!c) throw new UserError(`no campaign ${id} in ${opts.results}`, 2);
      const tests = store.tests(id);
      const counts = store.counts(id);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ campaign: { ...c, state: liveState(c) }, counts, tests: tests.map((t) => ({ ...t, attemptList: store.attempts(t.id) })) }, null, 2)}\n`);
      } else {
        process.stdout.write(`campaign ${c.id}: ${liveState(c)}, day ${c.day}, seed ${c.seed}; ${counts.passed} passed, ${counts.failed} failed, ${counts.error} error, ${counts.skipped} skipped, ${counts.running} running, ${counts.pending} pending\n`);
        for (const t of tests) process.stdout.write(`${String(t.position + 1).padStart(4)} ${t.state.padEnd(8)} ${(t.ranOn ?? t.phone ?? '-').padEnd(10)} ${t.key}${t.attempts > 1 ? ` (${t.attempts} attempts)` : ''}${t.reason ? `: ${t.reason}` : ''}\n`);
      }
      store.close();
    },
  );

  resultsOption(campaign.command('cancel').description('stop a running campaign: its running tests stop and clean up, the rest is not run').argument('<id>')).action((id: string, opts: { results: string }) => {
    const store = CampaignStore.inResults(path.resolve(opts.results));
    const c = store.campaign(id);
    if (!c) throw new UserError(`no campaign ${id} in ${opts.results}`, 2);
    if (c.state !== 'running') throw new UserError(`campaign ${id} is ${c.state}, not running`, 1);
    if (c.pid !== null && !ownerAlive({ pid: c.pid, start: c.pidStart })) {
      // nobody runs it: it stays resumable; a cancel marks it so
      store.endCampaign(id, 'cancelled');
      process.stdout.write(`campaign ${id} had no running process (pid ${c.pid} is gone): marked cancelled\n`);
    } else {
      store.requestCancel(id);
      process.stdout.write(`campaign ${id}: cancel requested; pid ${c.pid} stops its running tests\n`);
    }
    store.close();
  });

  campaign
    .command('schedule')
    .description('start a campaign at the times of a cron expression (foreground, one run at a time), or write systemd units')
    .argument('<file>', 'the campaign file')
    .requiredOption('--cron <expression>', 'five fields: minute hour day-of-month month day-of-week, e.g. "0 1 * * *"')
    .option('--timezone <tz>', 'the cron\'s time zone (default: the host\'s)')
    .option('--log <file>', 'where the runs log (default <results>/schedule.log)')
    .option('--systemd <dir>', 'write mplab-campaign-NAME.service and .timer into DIR instead of running')
    .option('--devices <file>', 'devices.json to use')
    .action(async (file: string, opts: { cron: string; timezone?: string; log?: string; systemd?: string; devices?: string }) => {
      const spec = loadCampaignFile(file);
      const logFile = path.resolve(opts.log ?? path.join(spec.results, 'schedule.log'));
      if (opts.systemd) {
        const units = systemdUnits({ file: path.resolve(file), cron: opts.cron, name: spec.name, workDir: process.cwd(), mplab: path.join(REPO_ROOT, 'bin', 'mplab.js'), logFile });
        mkdirSync(opts.systemd, { recursive: true });
        writeFileSync(path.join(opts.systemd, `${units.name}.service`), units.service);
        writeFileSync(path.join(opts.systemd, `${units.name}.timer`), units.timer);
        process.stdout.write(`wrote ${units.name}.service and ${units.name}.timer in ${opts.systemd}\nthen: systemctl daemon-reload && systemctl enable --now ${units.name}.timer\n`);
        return;
      }
      const cron = parseCron(opts.cron, opts.timezone);
      mkdirSync(path.dirname(logFile), { recursive: true });
      const note = (text: string) => appendFileSync(logFile, `${JSON.stringify({ time: new Date().toISOString(), msg: text })}\n`);
      process.stdout.write(`campaign ${spec.name} at "${opts.cron}"; next: ${nextRuns(opts.cron, 3, new Date(), opts.timezone).map((d) => d.toISOString()).join(', ')}; logging to ${logFile}\n`);
      let running = false;
      const { execa } = await import('execa');
      cron.schedule(async () => {
        if (running) {
          note('a start time came while the last run goes on: skipped');
          return;
        }
        running = true;
        note('starting');
        // each night in a process of its own: a crash of one run does not end the schedule
        const r = await execa(process.execPath, [path.join(REPO_ROOT, 'bin', 'mplab.js'), 'campaign', 'run', path.resolve(file), ...(opts.devices ? ['--devices', opts.devices] : [])], {
          reject: false,
          stdout: { file: logFile, append: true },
          stderr: { file: logFile, append: true },
          env: { MPLAB_LOG_FORMAT: 'json' },
        });
        note(`finished with exit status ${r.exitCode ?? r.signal}`);
        running = false;
      });
      cron.resume();
      await new Promise<void>((resolve) => {
        const stop = () => {
          cron.stop();
          resolve();
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}

/** "running" only while its process lives: a campaign whose process died is "interrupted" (resumable). */
function liveState(c: { state: string; pid: number | null; pidStart: string | null }): string {
  if (c.state === 'running' && c.pid !== null && !ownerAlive({ pid: c.pid, start: c.pidStart })) return 'interrupted';
  return c.state;
}
