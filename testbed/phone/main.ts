/**
 * A virtual phone as a process of its own, for `mplab lab up` to start detached per phone:
 *   node --import tsx testbed/phone/main.ts --name phone1 --netns mplab-phone1 --dir DIR --port 6601
 * Prints one JSON line on stdout once adb can connect ({"event":"listening","serial":...}), logs
 * on stderr, stops the phone (its processes too) on SIGTERM or SIGINT.
 */
import { existsSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { errorMessage } from '../../common/errors.js';
import { log } from '../../common/log.js';
import { readAdbKeyFile, userAdbKeyFile } from './adb-auth.js';
import { labCellularFollower } from './lab-cellular.js';
import { DEFAULT_PROXY, startVirtualPhone } from './phone.js';

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

const program = new Command('virtual-phone')
  .description('an adb daemon for a phone that is a Linux network namespace')
  .requiredOption('--name <name>', 'phone name')
  .requiredOption('--netns <netns>', 'the phone\'s network namespace (mplab...)')
  .requiredOption('--dir <dir>', 'the phone\'s folder (state and filesystem)')
  .option('--port <port>', 'TCP port on 127.0.0.1 (default: a free one)', integer)
  .option('--no-root', 'a user build: no su, no adb root')
  .option('--model <model>', 'ro.product.model')
  .option('--product <product>', 'ro.product.name')
  .option('--device <device>', 'ro.product.device')
  .option('--wifi-iface <iface>', 'WiFi interface', 'wlan0')
  .option('--cellular-iface <iface>', 'cellular interface', 'rmnet0')
  .option('--reboot-ms <ms>', 'how long a reboot keeps the phone away', integer)
  .option('--boot-completed-ms <ms>', 'delay until sys.boot_completed=1 once reachable', integer)
  .option('--adb-key <file>', 'authorize this adb public key (adbkey.pub format) too; the key of the user running the daemon (~/.android/adbkey.pub) always is; repeatable', (file: string, files: string[]) => [...files, file], [] as string[])
  .option('--link-control <socket>', 'a lab phone: the link daemon\'s control socket (the cellular link follows the allowed technology)')
  .option('--cellular-link <name>', 'with --link-control: the phone\'s cellular link (phoneK.cellular)')
  .option('--lab-profile <file>', 'with --link-control: the lab\'s profile (the "auto" technology)')
  .option('--proxy <ip:port>', "the SOCKS5 proxy the phone's proxy client carries the apps' connections to", DEFAULT_PROXY)
  .option('--no-proxy-client', "no proxy client: the apps' connections go out directly")
  .action(async (opts: { name: string; netns: string; dir: string; port?: number; root: boolean; model?: string; product?: string; device?: string; wifiIface: string; cellularIface: string; rebootMs?: number; bootCompletedMs?: number; adbKey: string[]; linkControl?: string; cellularLink?: string; labProfile?: string; proxy: string; proxyClient: boolean }) => {
    const logger = log('phone', { phone: opts.name });
    const keyFiles = [...(existsSync(userAdbKeyFile()) ? [userAdbKeyFile()] : []), ...opts.adbKey];
    const adbKeys = keyFiles.map((file) => {
      const key = readAdbKeyFile(file);
      return `${key.base64} ${key.comment}`;
    });
    const phone = await startVirtualPhone({
      name: opts.name,
      netns: opts.netns,
      dir: opts.dir,
      port: opts.port,
      root: opts.root,
      model: opts.model,
      product: opts.product,
      device: opts.device,
      interfaces: { wifi: opts.wifiIface, cellular: opts.cellularIface },
      rebootMs: opts.rebootMs,
      bootCompletedMs: opts.bootCompletedMs,
      adbKeys,
      proxy: opts.proxyClient ? opts.proxy : null,
      logger,
      onCellularTechnology:
        opts.linkControl && opts.cellularLink && opts.labProfile
          ? labCellularFollower({ control: opts.linkControl, link: opts.cellularLink, labProfile: opts.labProfile, phone: opts.name })
          : undefined,
    });
    process.stdout.write(`${JSON.stringify({ event: 'listening', name: phone.name, serial: phone.serial, port: phone.port, pid: process.pid })}\n`);
    const shutdown = (signal: string) => {
      logger.info({ signal }, 'stopping');
      phone.stop().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: errorMessage(error) }, 'stop failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });

program.parseAsync().catch((error: unknown) => {
  process.stderr.write(`virtual-phone: ${errorMessage(error)}\n`);
  process.exit(1);
});
