import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, promises as fs, readFileSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../common/log.js';
import { assertLabName } from '../netns.js';
import { REPO_ROOT } from '../../common/paths.js';
import { LOCAL_TMP, NODE, PHONE_COMMAND, PHONE_LIB, SDCARD, SHELL_UID } from './paths.js';

/**
 * The phone's filesystem: a directory tree inside the phone's folder that every shell command
 * and the sync service see as `/`. A long-lived "holder" process owns a private mount namespace
 * inside the phone's network namespace in which the host's /usr and /etc (read-only), a fresh
 * /proc (with /proc/sys read-only except /proc/sys/net, which belongs to the network namespace),
 * /sys (read-only) and a few device nodes are bind-mounted into that tree, and it chroots there.
 * Commands enter the holder's namespaces and root with native/phone_exec.c, as Android's shell user (uid 2000,
 * no capabilities) or as root. Nothing is ever mounted or written outside the phone's folder on
 * the host; the mounts exist only in the holder's namespace and vanish with it.
 */

/** The shell user's groups on Android 14 (input, log, adb, sdcard_rw, sdcard_r, net_bt*, inet, net_bw_stats, readproc, uhid). */
const SHELL_GROUPS = [2000, 1004, 1007, 1011, 1015, 1028, 3001, 3002, 3003, 3006, 3009, 3011];

/** Users and groups named for apps (uids 10000 and up). */
export const FIRST_APP_UID = 10000;
export const APP_USERS = 200;

const DEVICE_NODES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'];

/**
 * The commands of Android's toybox (and iproute2, tcpdump) that a phone offers, taken from the
 * host when it has them. Anything not here and not an Android command of our own is "not found".
 */
const HOST_TOOLS = [
  'awk', 'base64', 'basename', 'blockdev', 'cat', 'chgrp', 'chmod', 'chown', 'cksum', 'clear', 'cmp', 'comm', 'cp', 'cut',
  'date', 'dd', 'df', 'diff', 'dirname', 'dmesg', 'du', 'echo', 'egrep', 'env', 'expand', 'expr', 'fallocate', 'false',
  'fgrep', 'file', 'find', 'flock', 'free', 'getopt', 'grep', 'groups', 'gunzip', 'gzip', 'head', 'hostname', 'id',
  'ifconfig', 'install', 'ionice', 'ip', 'kill', 'killall', 'ln', 'ls', 'lsof', 'md5sum', 'mkdir', 'mkfifo', 'mknod',
  'mktemp', 'more', 'mount', 'mountpoint', 'mv', 'nc', 'netstat', 'nice', 'nl', 'nohup', 'nproc', 'nsenter', 'nstat', 'od',
  'paste', 'patch', 'pgrep', 'pidof', 'ping', 'ping6', 'pkill', 'pmap', 'printenv', 'printf', 'ps', 'pwd', 'readlink',
  'realpath', 'renice', 'rev', 'rm', 'rmdir', 'sed', 'seq', 'setsid', 'sha1sum', 'sha256sum', 'sha512sum', 'sleep', 'sort',
  'split', 'ss', 'stat', 'strings', 'stty', 'sync', 'sysctl', 'tac', 'tail', 'tar', 'taskset', 'tc', 'tcpdump', 'tee',
  'test', 'time', 'timeout', 'top', 'touch', 'tr', 'traceroute', 'true', 'truncate', 'tty', 'umount', 'uname', 'uniq',
  'unlink', 'unshare', 'uptime', 'usleep', 'uudecode', 'uuencode', 'vmstat', 'watch', 'wc', 'which', 'whoami', 'xargs',
  'xxd', 'yes', 'zcat',
];
const HOST_BIN_DIRS = ['/usr/bin', '/usr/sbin'];
/** Android's shell is mksh; fall back to another POSIX shell where mksh is not installed. */
const SHELLS = ['/usr/bin/mksh', '/usr/bin/dash', '/usr/bin/bash'];

export const ANDROID_PATH = '/product/bin:/apex/com.android.runtime/bin:/apex/com.android.art/bin:/system_ext/bin:/system/bin:/system/xbin:/odm/bin:/vendor/bin:/vendor/xbin';

/** The environment adbd gives a shell on Android 14. */
export function shellEnvironment(uid: number, hostname: string, term = 'dumb'): Record<string, string> {
  const user = uid === 0 ? 'root' : 'shell';
  return {
    PATH: ANDROID_PATH,
    ANDROID_ROOT: '/system',
    ANDROID_DATA: '/data',
    ANDROID_STORAGE: '/storage',
    ANDROID_ASSETS: '/system/app',
    EXTERNAL_STORAGE: '/sdcard',
    ASEC_MOUNTPOINT: '/mnt/asec',
    HOME: '/',
    HOSTNAME: hostname,
    LOGNAME: user,
    USER: user,
    SHELL: '/bin/sh',
    TERM: term,
    TMPDIR: LOCAL_TMP,
  };
}

// The holder's mounts. Values arrive as positional parameters, never pasted into the script.
const HOLDER_SCRIPT = `set -e
R=$1
bind_ro() { mount --bind "$1" "$2"; mount -o remount,bind,ro "$2"; }
bind_ro /usr "$R/usr"
bind_ro /etc "$R/etc"
for f in passwd group hosts; do mount --bind "$R/system/etc/$f" "$R/etc/$f"; done
mount -t proc proc "$R/proc"
mount --bind "$R/proc/sys" "$R/proc/sys"
mount -o remount,bind,ro "$R/proc/sys"
mount --bind "$R/proc/sys/net" "$R/proc/sys/net"
mount -o remount,bind,rw "$R/proc/sys/net"
mount --rbind /sys "$R/sys"
mount -o remount,bind,ro "$R/sys"
for n in ${DEVICE_NODES.join(' ')}; do mount --bind "/dev/$n" "$R/dev/$n"; done
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$R/dev/pts" || mount --bind /dev/pts "$R/dev/pts"
if [ -e /dev/net/tun ]; then mount --bind /dev/net/tun "$R/dev/net/tun"; fi
echo ready
exec chroot "$R" /usr/bin/sleep infinity
`;

export interface SpawnAsOptions {
  uid: number;
  /** Supplementary groups of a non-root program (default: the shell user's). */
  groups?: readonly number[];
  env: Record<string, string>;
  stdio?: SpawnOptions['stdio'];
}

export interface SandboxOptions {
  netns: string;
  /** The phone's folder on the host; the phone's `/` is `<dir>/root`. */
  dir: string;
  /** Android commands implemented by the daemon: each gets a wrapper in /system/bin. */
  commands: readonly string[];
  /** Installs /system/xbin/su (rooted phones only). */
  su: boolean;
  /** In-phone programs to install under /system/lib/mplab: file name to JavaScript source (or a native addon's bytes). */
  programs: Record<string, string | Buffer>;
  /** Text of /system/build.prop. */
  buildProp: string;
  logger: Logger;
}

export class PhoneSandbox {
  /** The phone's `/` on the host, symlinks resolved once prepare() ran. */
  root: string;
  private holderPid: number | undefined;
  private starting: Promise<number> | undefined;
  /** native/phone_exec.c, found on the first spawn */
  private phoneExecPath: string | undefined;

  constructor(private readonly options: SandboxOptions) {
    assertLabName(options.netns);
    this.root = path.join(path.resolve(options.dir), 'root');
  }

  /** The phone's network namespace. */
  get netns(): string {
    return this.options.netns;
  }

  /** Host path of a path on the phone (no symlinks are followed: for files the daemon itself owns). */
  hostPath(phonePath: string): string {
    const normal = path.posix.normalize(`/${phonePath}`);
    return path.join(this.root, normal);
  }

  private get pidFile(): string {
    return path.join(path.dirname(this.root), 'holder.pid');
  }

  /** Creates (or refreshes) the phone's tree: directories, device-node mount points, commands. */
  async prepare(): Promise<void> {
    let r = this.root;
    const mkdir = (p: string, mode = 0o755) => fs.mkdir(path.join(r, p), { recursive: true, mode });
    await fs.mkdir(path.dirname(r), { recursive: true });
    await fs.mkdir(r, { recursive: true, mode: 0o755 });
    this.root = r = await fs.realpath(r);
    for (const d of ['usr', 'etc', 'proc', 'sys', 'dev/pts', 'dev/net', 'dev/socket', 'system/bin', 'system/xbin', 'system/etc', PHONE_LIB.slice(1), 'data/data', 'data/system', 'data/app', 'mnt', 'storage/self']) {
      await mkdir(d);
    }
    await mkdir('data/local', 0o751);
    await ensureOwnedDir(path.join(r, LOCAL_TMP), SHELL_UID, SHELL_UID, 0o771);
    await ensureOwnedDir(path.join(r, SDCARD), SHELL_UID, 1015, 0o2775);
    for (const name of [...DEVICE_NODES, 'net/tun']) await touch(path.join(r, 'dev', name));
    await symlink('pts/ptmx', path.join(r, 'dev/ptmx'));
    await symlink('/proc/self/fd', path.join(r, 'dev/fd'));
    for (const [i, name] of ['stdin', 'stdout', 'stderr'].entries()) await symlink(`/proc/self/fd/${i}`, path.join(r, 'dev', name));
    await symlink('usr/lib', path.join(r, 'lib'));
    await symlink('usr/lib64', path.join(r, 'lib64'));
    await symlink('system/bin', path.join(r, 'bin'));
    // Relative links: they resolve the same inside the phone and, from the host, stay in its folder.
    await symlink('../emulated/0', path.join(r, 'storage/self/primary'));
    await symlink('storage/self/primary', path.join(r, 'sdcard'));
    await this.writeEtc();
    await fs.writeFile(path.join(r, 'system/build.prop'), this.options.buildProp, { mode: 0o644 });
    await this.installPrograms();
    await this.installCommands();
  }

  private async writeEtc(): Promise<void> {
    const etc = path.join(this.root, 'system/etc');
    const passwd = ['root:x:0:0:root:/:/system/bin/sh', 'system:x:1000:1000:system:/:/system/bin/sh', 'shell:x:2000:2000:shell:/:/system/bin/sh', 'nobody:x:9999:9999:nobody:/:/system/bin/sh'];
    const groups: Array<[string, number]> = [
      ['root', 0], ['system', 1000], ['input', 1004], ['log', 1007], ['adb', 1011], ['sdcard_rw', 1015], ['sdcard_r', 1028],
      ['shell', 2000], ['net_bt_admin', 3001], ['net_bt', 3002], ['inet', 3003], ['net_bw_stats', 3006], ['readproc', 3009], ['uhid', 3011], ['everybody', 9997], ['nobody', 9999],
    ];
    for (let i = 0; i < APP_USERS; i++) groups.push([`u0_a${i}`, 10000 + i]);
    // apps' users as Android names them (u0_a12 is uid 10012)
    for (let i = 0; i < APP_USERS; i++) passwd.push(`u0_a${i}:x:${10000 + i}:${10000 + i}::/data:/system/bin/sh`);
    await fs.writeFile(path.join(etc, 'passwd'), `${passwd.join('\n')}\n`, { mode: 0o644 });
    await fs.writeFile(path.join(etc, 'group'), groups.map(([n, g]) => `${n}:x:${g}:${g === 2000 || g === 0 ? '' : 'shell'}`).join('\n') + '\n', { mode: 0o644 });
    await fs.writeFile(path.join(etc, 'hosts'), '127.0.0.1       localhost\n::1             ip6-localhost\n', { mode: 0o644 });
  }

  private async installPrograms(): Promise<void> {
    for (const [name, source] of Object.entries(this.options.programs)) {
      await writeAtomically(path.join(this.root, PHONE_LIB, name), source, 0o644);
    }
  }

  private async installCommands(): Promise<void> {
    const bin = path.join(this.root, 'system/bin');
    const xbin = path.join(this.root, 'system/xbin');
    const shell = SHELLS.find((s) => existsSync(s));
    if (!shell) throw new Error(`no POSIX shell found on the host (looked for ${SHELLS.join(', ')})`);
    await replaceSymlink(shell, path.join(bin, 'sh'));
    for (const tool of HOST_TOOLS) {
      const host = HOST_BIN_DIRS.map((d) => path.join(d, tool)).find((p) => existsSync(p));
      // resolved: Debian's alternatives (nc, awk) point into the host's /etc, which the phone does not have
      if (host) await replaceSymlink(await fs.realpath(host), path.join(bin, tool));
    }
    // Debian's tcpdump drops to a "tcpdump" user the phone does not have; Android's keeps its uid.
    if (existsSync('/usr/bin/tcpdump')) {
      await fs.rm(path.join(bin, 'tcpdump'), { force: true });
      await writeAtomically(path.join(bin, 'tcpdump'), '#!/system/bin/sh\nexec /usr/bin/tcpdump -Z root "$@"\n', 0o755);
    }
    // Every Android command is the one small program (native/phone_command.c), run by its name.
    const client = path.join(this.root, PHONE_COMMAND);
    await fs.rm(client, { force: true });
    await fs.copyFile(phoneCommandBinary(), client);
    await fs.chmod(client, 0o755);
    for (const command of this.options.commands) {
      if (command === 'su') continue;
      await replaceSymlink(PHONE_COMMAND, path.join(bin, command));
    }
    const su = path.join(xbin, 'su');
    if (this.options.su) await replaceSymlink(PHONE_COMMAND, su);
    else await fs.rm(su, { force: true });
  }

  /** Starts the holder (or adopts the one a previous daemon of this phone left running). */
  async start(): Promise<number> {
    if (this.holderPid !== undefined && this.holderValid(this.holderPid)) return this.holderPid;
    if (!this.starting) {
      this.starting = this.startHolder().finally(() => {
        this.starting = undefined;
      });
    }
    return this.starting;
  }

  private async startHolder(): Promise<number> {
    const previous = await readPid(this.pidFile);
    if (previous !== undefined && this.holderValid(previous)) {
      this.holderPid = previous;
      this.options.logger.debug({ pid: previous }, 'adopted the running phone namespace');
      return previous;
    }
    const child = spawn('ip', ['netns', 'exec', this.options.netns, 'unshare', '--mount', '--propagation', 'private', '/bin/sh', '-c', HOLDER_SCRIPT, 'mplab-phone-holder', this.root], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const pid = await new Promise<number>((resolve, reject) => {
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      child.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes('ready') && child.pid) resolve(child.pid);
      });
      child.on('error', reject);
      child.on('exit', (code) => reject(new Error(`phone namespace holder exited with ${code}: ${stderr.trim()}`)));
    });
    child.stdout!.destroy();
    child.stderr!.destroy();
    child.unref();
    // chroot has replaced the script by now only once the root link points into the phone.
    for (let i = 0; i < 100 && !this.holderValid(pid); i++) await sleep(10);
    if (!this.holderValid(pid)) throw new Error(`phone namespace holder ${pid} did not enter ${this.root}`);
    this.holderPid = pid;
    await fs.writeFile(this.pidFile, `${pid}\n`);
    this.options.logger.debug({ pid }, 'phone namespace ready');
    return pid;
  }

  /** The holder is alive, chrooted into this phone's root and inside its network namespace. */
  private holderValid(pid: number): boolean {
    try {
      if (readlinkSync(`/proc/${pid}/root`) !== this.root) return false;
      return statSync(`/proc/${pid}/ns/net`).ino === statSync(`/run/netns/${this.options.netns}`).ino;
    } catch {
      return false;
    }
  }

  /**
   * Runs a program on the phone as root (uid 0) or the shell user. `argv[0]` is a path on the
   * phone. The child gets its own session (process group) so that a closed adb stream can hang
   * it up as a closing terminal would.
   */
  async spawn(argv: readonly string[], options: SpawnAsOptions): Promise<ChildProcess> {
    await this.start();
    return this.spawnNow(argv, options);
  }

  /**
   * spawn() once the phone runs (its holder started): the child's pid is known on return, and is
   * the program's own (phone_exec enters the phone and executes it, it does not fork).
   */
  spawnNow(argv: readonly string[], options: SpawnAsOptions): ChildProcess {
    const pid = this.holderPid;
    if (pid === undefined) throw new Error('the phone is not running (no namespace holder)');
    const groups = options.uid === 0 ? '-' : (options.groups ?? SHELL_GROUPS).join(',');
    this.phoneExecPath ??= builtProgram('phone_exec');
    return spawn(this.phoneExecPath, [String(pid), String(options.uid), groups, ...argv], { env: options.env, stdio: options.stdio ?? 'pipe', detached: true });
  }

  /** The phone's processes (those in the holder's mount namespace), as /proc shows them; none while it is down. */
  async processes(): Promise<PhoneProcess[]> {
    const holder = this.holderPid;
    if (holder === undefined || !this.holderValid(holder)) return [];
    const mnt = readlinkSync(`/proc/${holder}/ns/mnt`);
    const found: PhoneProcess[] = [];
    for (const entry of await fs.readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (readlinkSync(`/proc/${entry}/ns/mnt`) !== mnt) continue;
        const process = readProcess(Number(entry));
        if (process) found.push(process);
      } catch {
        // gone meanwhile, or not ours to read
      }
    }
    return found;
  }

  /** Kills every process of the phone (all that share the holder's mount namespace), holder last. */
  async killAll(): Promise<number> {
    const pid = this.holderPid ?? (await readPid(this.pidFile));
    if (pid === undefined || !this.holderValid(pid)) {
      this.holderPid = undefined;
      return 0;
    }
    const mnt = readlinkSync(`/proc/${pid}/ns/mnt`);
    let killed = 0;
    for (const entry of await fs.readdir('/proc')) {
      if (!/^\d+$/.test(entry) || Number(entry) === pid) continue;
      try {
        if (readlinkSync(`/proc/${entry}/ns/mnt`) !== mnt) continue;
        process.kill(Number(entry), 'SIGKILL');
        killed++;
      } catch {
        // gone already
      }
    }
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
    this.holderPid = undefined;
    await fs.rm(this.pidFile, { force: true });
    return killed;
  }
}

export interface PhoneProcess {
  pid: number;
  ppid: number;
  uid: number;
  /** One letter of /proc/PID/stat (R, S, D, Z, T...). */
  state: string;
  vszKb: number;
  rssKb: number;
  wchan: string;
  /** argv[0] as the process set it (an app process names itself after its package), else its comm. */
  name: string;
  /** The whole command line. */
  args: string;
}

function readProcess(pid: number): PhoneProcess | undefined {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const close = stat.lastIndexOf(')');
  const comm = stat.slice(stat.indexOf('(') + 1, close);
  const fields = stat.slice(close + 2).split(' ');
  const uid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '0');
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  const argv0 = argv[0] ?? '';
  let wchan = '0';
  try {
    wchan = readFileSync(`/proc/${pid}/wchan`, 'utf8').trim() || '0';
  } catch {
    // not readable here
  }
  return {
    pid,
    ppid: Number(fields[1]),
    uid,
    state: fields[0],
    vszKb: Math.round(Number(fields[20]) / 1024),
    rssKb: Number(fields[21]) * 4,
    wchan,
    name: argv0 || comm,
    args: argv.join(' ') || `[${comm}]`,
  };
}

/** SIGHUP to the session of a program spawn() started, as a closing terminal sends it. */
export function hangUp(child: ChildProcess): void {
  try {
    if (child.pid) process.kill(-child.pid, 'SIGHUP');
  } catch {
    // already gone
  }
}

async function readPid(file: string): Promise<number | undefined> {
  try {
    const pid = Number((await fs.readFile(file, 'utf8')).trim());
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function touch(file: string): Promise<void> {
  const handle = await fs.open(file, 'a', 0o644);
  await handle.close();
}

async function symlink(target: string, link: string): Promise<void> {
  try {
    if ((await fs.readlink(link)) === target) return;
  } catch {
    // absent or not a link
  }
  await replaceSymlink(target, link);
}

/** The Android commands' program as `npm ci` built it (binding.gyp target phone_command). */
export function phoneCommandBinary(): string {
  return builtProgram('phone_command');
}

/** A program of binding.gyp's that `npm ci` built. */
function builtProgram(name: string): string {
  const file = path.join(REPO_ROOT, 'build/Release', name);
  if (!existsSync(file)) throw new Error(`${file} is missing: \`npm ci\` (or \`npm rebuild\`) builds it with the native addons`);
  return file;
}

async function replaceSymlink(target: string, link: string): Promise<void> {
  await fs.rm(link, { force: true });
  await fs.symlink(target, link);
}

async function ensureOwnedDir(dir: string, uid: number, gid: number, mode: number): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  await fs.chown(dir, uid, gid);
  await fs.chmod(dir, mode);
}

async function writeAtomically(file: string, content: string | Buffer, mode: number): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(temp, content, { mode });
  await fs.chmod(temp, mode);
  await fs.rename(temp, file);
}
