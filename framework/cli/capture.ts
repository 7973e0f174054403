import type { Command } from 'commander';
import { UserError } from '../../common/errors.js';
import { DEFAULT_BUFFER_KIB, DEFAULT_SNAPLEN, manifestPath, readManifest, startCaptureSet, stopCaptureSet } from '../../proxy/capture.js';

interface StartOptions {
  dir: string;
  netns?: string;
  iface: string;
  snaplen: string;
  buffer: string;
  filter?: string;
}

export function registerCapture(program: Command): void {
  const capture = program
    .command('capture')
    .description('tcpdump captures that outlive the command: start and stop them by name, with tcpdump\'s drop counters recorded');

  capture
    .command('start')
    .description('start tcpdump (one per interface) into DIR/NAME.pcap or DIR/NAME-IFACE.pcap; prints the manifest DIR/NAME.capture.json')
    .argument('<name>', 'the capture\'s name (letters, digits, "_", "." and "-"), e.g. a test id')
    .requiredOption('--dir <dir>', 'folder for the pcap files and the manifest')
    .option('--netns <name>', 'capture inside this network namespace')
    .option('--iface <ifaces>', 'interfaces, comma-separated, one file each; "any" for all in one file (Linux cooked headers)', 'any')
    .option('--snaplen <bytes>', 'bytes kept of each packet (TCP/MPTCP headers fit in the default)', String(DEFAULT_SNAPLEN))
    .option('--buffer <KiB>', 'kernel capture buffer per interface; larger drops less under bursts', String(DEFAULT_BUFFER_KIB))
    .option('--filter <expression>', 'a BPF filter, e.g. "tcp port 1080"')
    .action(async (name: string, opts: StartOptions) => {
      const set = await startCaptureSet({
        dir: opts.dir,
        name,
        netns: opts.netns,
        ifaces: opts.iface.split(',').map((s) => s.trim()).filter(Boolean),
        snaplen: whole('--snaplen', opts.snaplen),
        bufferKiB: whole('--buffer', opts.buffer),
        filter: opts.filter,
        detached: true,
      }).catch((err: Error) => {
        throw err instanceof UserError ? err : new UserError(`capture ${name}: ${err.message}`);
      });
      process.stdout.write(`${JSON.stringify(await readManifest(set.manifest), null, 2)}\n`);
    });

  capture
    .command('stop')
    .description('stop a capture started with "capture start" (SIGINT to each tcpdump) and write its counters into the manifest; prints it')
    .argument('<name>', 'the capture\'s name')
    .requiredOption('--dir <dir>', 'the folder given to "capture start"')
    .action(async (name: string, opts: { dir: string }) => {
      const state = await stopCaptureSet(manifestPath(opts.dir, name));
      process.stdout.write(`${JSON.stringify(state, null, 2)}\n`);
    });

  capture
    .command('show')
    .description('print a capture\'s manifest (running: tcpdump pids; stopped: counters)')
    .argument('<name>', 'the capture\'s name')
    .requiredOption('--dir <dir>', 'the folder given to "capture start"')
    .action(async (name: string, opts: { dir: string }) => {
      const file = manifestPath(opts.dir, name);
      const state = await readManifest(file).catch((err: NodeJS.ErrnoException) => {
        throw new UserError(`${file}: cannot read it (${err.code ?? err.message})`);
      });
      process.stdout.write(`${JSON.stringify(state, null, 2)}\n`);
    });
}

function whole(option: string, text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new UserError(`${option} ${text}: expected a whole number of at least 1`);
  return Number(text);
}
