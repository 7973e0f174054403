import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { ResultPromise } from 'execa';
import { MPLAB_CLI, REPO_ROOT } from '../../common/paths.js';
import { inNetns } from '../../testbed/netns.js';
import type { AgentRequest } from './agent.js';

/**
 * Starts the testkit's programs (and the proxy's CLI) inside network namespaces and talks to them:
 * the tests and `npm run bench:proxy` drive clients and origins this way, since one process cannot
 * have sockets in several namespaces.
 */
export interface NetnsProgram {
  readonly process: ResultPromise;
  /** lines the program wrote on stdout so far */
  readonly stdout: string[];
  /** the last 64 KB the program wrote on stderr */
  stderr(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface StartOptions {
  /** run under `mptcpize run` (the program's TCP sockets become MPTCP) */
  mptcpize?: boolean;
  /** run as this user and group id, without supplementary groups (setpriv) */
  uid?: number;
  /** a stdout line that says the program is ready */
  ready: RegExp;
  timeoutMs?: number;
  env?: Record<string, string>;
}

/** `ip netns exec NETNS [mptcpize run] CMD ARGS...`, resolved once `ready` appears on stdout. */
export async function startReadyInNetns(netns: string, cmd: string, args: string[], opts: StartOptions): Promise<NetnsProgram> {
  const asUser = opts.uid === undefined ? [] : ['setpriv', `--reuid=${opts.uid}`, `--regid=${opts.uid}`, '--clear-groups'];
  const argv = [...asUser, ...(opts.mptcpize ? ['mptcpize', 'run'] : []), cmd, ...args];
  const proc = inNetns(netns, argv[0], argv.slice(1), {
    cwd: REPO_ROOT,
    reject: false,
    stdin: 'pipe',
    stderr: 'pipe',
    env: { MPLAB_LOG_FORMAT: 'json', ...opts.env },
  });
  const stdout: string[] = [];
  let stderr = '';
  proc.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-65536)));
  const lines = createInterface({ input: proc.stdout! });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${argv.join(' ')} in ${netns}: not ready within ${opts.timeoutMs ?? 20_000} ms; stderr: ${stderr}`)), opts.timeoutMs ?? 20_000);
    lines.on('line', (line) => {
      stdout.push(line);
      if (opts.ready.test(line)) {
        clearTimeout(timer);
        resolve();
      }
    });
    void proc.then((result) => {
      clearTimeout(timer);
      reject(new Error(`${argv.join(' ')} in ${netns} exited (${result.exitCode ?? result.signal}); stderr: ${stderr}`));
    });
  });
  return {
    process: proc,
    stdout,
    stderr: () => stderr,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode === undefined || proc.exitCode === null) proc.kill(signal);
      await proc;
    },
  };
}

const NODE_TSX = ['--import', 'tsx'];

export function startOrigin(netns: string, listen: string[]): Promise<NetnsProgram> {
  return startReadyInNetns(netns, process.execPath, [...NODE_TSX, fileURLToPath(new URL('./origin.ts', import.meta.url)), ...listen], { ready: /^ready$/ });
}

/** `mplab proxy start ARGS...` inside a namespace; ready once it prints its "listening" line. */
export function startProxy(netns: string, args: string[], opts: { env?: Record<string, string> } = {}): Promise<NetnsProgram> {
  return startReadyInNetns(netns, process.execPath, [MPLAB_CLI, 'proxy', 'start', ...args], { ready: /"event":"listening"/, env: opts.env });
}

type Result = Record<string, unknown> & { ok: boolean; error?: string; code?: string | null };

/** A client agent (proxy/testkit/agent.ts) in a namespace, driven by calls that resolve with its answers. */
export class Agent {
  private seq = 0;
  private readonly pending = new Map<number, (r: Result) => void>();

  private constructor(private readonly program: NetnsProgram) {
    const lines = createInterface({ input: program.process.stdout! });
    lines.on('line', (line) => {
      const result = JSON.parse(line) as Result & { seq: number };
      this.pending.get(result.seq)?.(result);
      this.pending.delete(result.seq);
    });
  }

  static async start(netns: string, opts: { mptcpize?: boolean; uid?: number } = {}): Promise<Agent> {
    const program = await startReadyInNetns(netns, process.execPath, [...NODE_TSX, fileURLToPath(new URL('./agent.ts', import.meta.url))], {
      ready: /"ready":true/,
      mptcpize: opts.mptcpize,
      uid: opts.uid,
    });
    return new Agent(program);
  }

  /** Sends one request; resolves with the answer, rejects when the agent reports an error. */
  async call<T extends object = Record<string, unknown>>(req: AgentRequest): Promise<T> {
    const seq = ++this.seq;
    const answer = new Promise<Result>((resolve) => this.pending.set(seq, resolve));
    this.program.process.stdin!.write(`${JSON.stringify({ seq, ...req })}\n`);
    const result = await answer;
    if (!result.ok) throw Object.assign(new Error(`agent ${req.op}: ${result.error}`), { code: result.code });
    return result as unknown as T;
  }

  async stop(): Promise<void> {
    this.program.process.stdin!.end();
    await this.program.stop();
  }
}
