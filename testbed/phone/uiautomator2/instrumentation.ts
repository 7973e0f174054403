import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import type net from 'node:net';
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
  /** Starts the server's process in the phone with an IPC channel (argv after node: program and port). */
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
    const child = await this.options.startProcess(port);
    let resolveEnd: (why: Ending) => void = () => undefined;
    const ending = new Promise<Ending>((resolve) => (resolveEnd = resolve));
    const run = (async (): Promise<string> => {
      let httpServer: http.Server | undefined;
      try {
        const handle = await listeningHandle(child, ending);
        if (typeof handle === 'string') return `INSTRUMENTATION_RESULT: shortMsg=${handle}\nINSTRUMENTATION_CODE: 0\n`;
        const protocol = new Uia2Server({ system, logger, onSessionDeleted: () => resolveEnd('session deleted') });
        httpServer = http.createServer({ keepAlive: true }, (req, res) => protocol.handle(req, res));
        httpServer.keepAliveTimeout = 600_000;
        const srv = httpServer;
        await new Promise<void>((resolve) => srv.listen(handle, resolve));
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

/** The listening socket the server's process sends, or why it did not. */
function listeningHandle(child: ChildProcess, ending: Promise<Ending>): Promise<net.Server | string> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('The UiAutomator2 server process did not open its port within 10 s'), 10_000);
    const done = (value: net.Server | string) => {
      clearTimeout(timer);
      resolve(value);
    };
    child.on('message', (message: { listening?: number; error?: string }, handle: unknown) => {
      if (message?.listening && handle) done(handle as net.Server);
      else if (message?.error) done(`The UiAutomator2 server could not listen: ${message.error}`);
    });
    child.once('exit', (code, signal) => done(`The UiAutomator2 server process exited (${code ?? signal}) before it listened`));
    child.once('error', (error) => done(`The UiAutomator2 server process could not start: ${error.message}`));
    void ending.then((why) => done(`Instrumentation ended (${why}) before the server listened`));
  });
}
