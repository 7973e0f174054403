import type { ChildProcess } from 'node:child_process';
import { closeSync } from 'node:fs';
import http from 'node:http';
import type { Logger } from '../../../common/log.js';
import type { Instrumentation, InstrumentationRequest, PhoneSystem } from '../system.js';
import { Uia2Server } from './server.js';

/**
 * `am instrument -w ... io.appium.uiautomator2.server.test/androidx.test.runner.AndroidJUnitRunner`:
 * starts the server's process in the phone (device/uiautomator2-main.ts), which opens
 * 127.0.0.1:6790 in the phone's network namespace and passes the listening socket to the daemon;
 * the daemon serves the protocol on it (server.ts) with the screen model at hand, so a request
 * costs no hop beyond adb's forward. The instrumentation lasts until the session is deleted, the
 * caller of `am instrument` goes away, `am force-stop` names one of the server's packages, or
 * the server's process dies; then the socket closes and the process is killed.
 */

export const UIA2_SERVER_PACKAGE = 'io.appium.uiautomator2.server';
export const UIA2_TEST_PACKAGE = 'io.appium.uiautomator2.server.test';
export const UIA2_RUNNER = 'androidx.test.runner.AndroidJUnitRunner';
export const UIA2_INSTRUMENTATION = `${UIA2_TEST_PACKAGE}/${UIA2_RUNNER}`;
export const UIA2_PORT = 6790;
const TAG = 'AppiumUiAutomator2Server';

export interface Uia2InstrumentationOptions {
  system: PhoneSystem;
  logger: Logger;
  /** A listening socket on 127.0.0.1:PORT of the phone's namespace, as a descriptor (netns-socket.ts). */
  listen: (port: number) => number;
  /** Starts the server's process in the phone (what `ps` shows; it holds an IPC channel to the daemon). */
  startProcess: (port: number) => Promise<ChildProcess>;
  port?: number;
}

type Ending = 'session deleted' | 'caller gone' | 'force-stop' | 'process died' | 'replaced' | 'phone stopped';

export class Uia2Instrumentation implements Instrumentation {
  readonly targetPackage = UIA2_SERVER_PACKAGE;
  private current: { end: (why: Ending) => void; done: Promise<unknown> } | undefined;

  constructor(private readonly options: Uia2InstrumentationOptions) {
    options.system.on('force-stop', (pkg: string) => {
      if (pkg === UIA2_SERVER_PACKAGE || pkg === UIA2_TEST_PACKAGE) this.current?.end('force-stop');
    });
  }

  /** Ends a running instrumentation (the phone stops or reboots). */
  async stop(): Promise<void> {
    const current = this.current;
    current?.end('phone stopped');
    await current?.done;
  }

  async run(request: InstrumentationRequest): Promise<string> {
    const { system, logger } = this.options;
    const previous = this.current;
    previous?.end('replaced');
    await previous?.done;
    const port = this.options.port ?? UIA2_PORT;
    const started = Date.now();
    // The port first: the driver asks GET /status as soon as it has started `am instrument`.
    let fd: number;
    try {
      fd = this.options.listen(port);
    } catch (error) {
      return `INSTRUMENTATION_RESULT: shortMsg=The UiAutomator2 server could not listen: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message} on 127.0.0.1:${port}\nINSTRUMENTATION_CODE: 0\n`;
    }
    let child: ChildProcess;
    try {
      child = await this.options.startProcess(port);
    } catch (error) {
      closeFd(fd);
      return `INSTRUMENTATION_RESULT: shortMsg=The UiAutomator2 server process could not start: ${(error as Error).message}\nINSTRUMENTATION_CODE: 0\n`;
    }
    let resolveEnd: (why: Ending) => void = () => undefined;
    const ending = new Promise<Ending>((resolve) => (resolveEnd = resolve));
    const run = (async (): Promise<string> => {
      let httpServer: http.Server | undefined;
      try {
        const protocol = new Uia2Server({ system, logger, onSessionDeleted: () => resolveEnd('session deleted') });
        httpServer = http.createServer({ keepAlive: true }, (req, res) => protocol.handle(req, res));
        httpServer.keepAliveTimeout = 600_000;
        const srv = httpServer;
        await new Promise<void>((resolve) => srv.listen({ fd }, resolve));
        system.log('I', TAG, `Starting Server on port ${port}`, UIA2_SERVER_PACKAGE);
        logger.info({ port, pid: child.pid, ms: Date.now() - started }, 'UiAutomator2 server listening in the phone');
        child.once('exit', () => resolveEnd('process died'));
        if (request.signal.aborted) resolveEnd('caller gone');
        request.signal.addEventListener('abort', () => resolveEnd('caller gone'));
        const why = await ending;
        logger.info({ why }, 'UiAutomator2 instrumentation ended');
        system.log('I', TAG, `Stopping server (${why})`, UIA2_SERVER_PACKAGE);
        const seconds = ((Date.now() - started) / 1000).toFixed(3);
        if (why === 'session deleted') return `\n${TAG}:\nTime: ${seconds}\n\nOK (1 test)\n`;
        return `INSTRUMENTATION_RESULT: shortMsg=Process crashed.\nINSTRUMENTATION_CODE: 0\n`;
      } finally {
        if (httpServer) {
          httpServer.closeAllConnections();
          await new Promise<void>((resolve) => httpServer!.close(() => resolve()));
        }
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
    })();
    const current = { end: (why: Ending) => resolveEnd(why), done: run.catch(() => undefined) };
    this.current = current;
    try {
      return await run;
    } finally {
      if (this.current === current) this.current = undefined;
    }
  }
}

function closeFd(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}
