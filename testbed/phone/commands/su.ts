import { exitStatus } from '../packets.js';
import { constants } from 'node:os';
import { SHELL_UID } from '../paths.js';
import { APP_USERS, FIRST_APP_UID, hangUp } from '../sandbox.js';
import { usageError, type Command } from './context.js';

export interface SuRequest {
  uid: number;
  /** What to run: a shell reading stdin when empty. */
  argv: string[];
}

/**
 * su [-mm] [-] [UID|root|shell] [-c COMMAND...] [COMMAND ARGS...] (UID: 0, shell or an app's): `su -c STRING` runs the
 * string through the shell (the arguments after -c joined by spaces, as Magisk's su does),
 * `su 0 CMD ARGS` and `su root CMD ARGS` run the program directly, `su` alone reads commands
 * from stdin.
 */
export function parseSu(args: readonly string[]): SuRequest | string {
  let command: string | undefined;
  let uid = 0;
  let sawUser = false;
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (rest.length) {
      rest.push(a);
    } else if (a === '-c' || a === '--command') {
      // Like Magisk's su, every argument after -c is part of the command.
      if (i + 1 >= args.length) return 'su: option requires an argument -- c';
      command = args.slice(i + 1).join(' ');
      break;
    } else if (a === '-mm' || a === '-M' || a === '--mount-master' || a === '-' || a === '-l' || a === '--login' || a === '-p' || a === '--preserve-environment') {
      continue;
    } else if (!sawUser && /^(\d+|root|shell)$/.test(a)) {
      sawUser = true;
      uid = a === 'root' ? 0 : a === 'shell' ? SHELL_UID : Number(a);
    } else if (a.startsWith('-')) {
      return `su: invalid option -- '${a.replace(/^-+/, '')}'`;
    } else {
      rest.push(a);
    }
  }
  const appUid = uid >= FIRST_APP_UID && uid < FIRST_APP_UID + APP_USERS;
  if (uid !== 0 && uid !== SHELL_UID && !appUid) return `su: unknown user ${uid} (this phone has root, shell and the apps' uids ${FIRST_APP_UID}-${FIRST_APP_UID + APP_USERS - 1})`;
  if (command !== undefined) return { uid, argv: ['/system/bin/sh', '-c', command] };
  return { uid, argv: rest.length ? rest : ['/system/bin/sh'] };
}

/** Runs the request as root (or shell) on the phone, relaying stdin, stdout, stderr and the status. */
export const su: Command = async (context) => {
  if (!context.rooted) return usageError(context, '/system/bin/sh: su: inaccessible or not found', 127);
  const request = parseSu(context.argv.slice(1));
  if (typeof request === 'string') return usageError(context, request, 1);
  const child = await context.spawn(request.argv, { uid: request.uid, cwd: context.cwd });
  const stdin = context.stdin();
  stdin.pipe(child.stdin!);
  child.stdin!.on('error', () => undefined);
  child.stdout!.on('data', (d: Buffer) => context.stdout(d));
  child.stderr!.on('data', (d: Buffer) => context.stderr(d));
  const onAbort = (): void => hangUp(child);
  context.signal.addEventListener('abort', onAbort);
  return new Promise<number>((resolve) => {
    child.on('error', (error) => {
      context.stderr(`su: ${error.message}\n`);
      resolve(1);
    });
    child.on('close', (code, signal) => {
      context.signal.removeEventListener('abort', onAbort);
      stdin.unpipe(child.stdin!);
      resolve(exitStatus(code, signal, constants.signals));
    });
  });
};

/** reboot [REASON] */
export const reboot: Command = (context) => {
  context.reboot(context.argv[1] ?? '');
  return 0;
};
