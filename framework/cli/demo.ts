import type { Command } from 'commander';
import { UserError } from '../../common/errors.js';
import { setLogLevel } from '../../common/log.js';
import { LAB_NAME } from '../../testbed/lab/plan.js';

/** `mplab demo`: the whole pipeline once on the virtual lab (framework/demo.ts). */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the whole pipeline once on the virtual lab: lab up, traffic through the MPTCP proxy with a WiFi loss, capture, analyze, summary, lab down (root)')
    .option('--out <dir>', 'run folder (default: runs/demo-<time>/ in the checkout)')
    .option('--lab <name>', 'the lab to build and remove ("mplab" followed by up to 20 of [a-z0-9_])', 'mplabdemo')
    .action(async (opts: { out?: string; lab: string }) => {
      if (!LAB_NAME.test(opts.lab)) throw new UserError(`--lab: expected "mplab" followed by up to 20 of [a-z0-9_], got ${JSON.stringify(opts.lab)}`, 2);
      // the demo prints its own progress; logs only for what goes wrong unless asked for
      if (!process.env.MPLAB_LOG_LEVEL) setLogLevel('warn');
      const { runDemo } = await import('../demo.js');
      await runDemo({ out: opts.out, lab: opts.lab, say: (line) => process.stdout.write(`${line}\n`) });
    });
}
