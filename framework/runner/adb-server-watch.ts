import { errorMessage } from '../../common/errors.js';
import type { AdbServer } from '../devices/adb-server.js';

/**
 * Watches a phone's adb server while a test waits on the phone through Appium (its session being
 * made, the scenario). Appium reaches the phone through that server's forwards, so when the
 * phone's host is gone (its network, the server stopped) every request hangs unanswered until its
 * own timeout or the scenario's cap, minutes later. The watch asks the server its version every
 * `intervalMs`; `misses` unanswered questions in a row abort its signal with why. A refused
 * connection is not counted: a server that is not running is the recovery's business (the local
 * one is started again by the next adb command, and the phones reattached).
 */
export interface AdbServerWatch {
  /** Aborted, with why as its reason, once the server is found gone. */
  readonly signal: AbortSignal;
  /** Why the server was found gone, or null. */
  lost(): string | null;
  stop(): void;
}

export interface WatchOptions {
  intervalMs?: number;
  /** Each question's timeout. */
  timeoutMs?: number;
  misses?: number;
}

export function watchAdbServer(server: AdbServer, options: WatchOptions = {}): AdbServerWatch {
  const intervalMs = options.intervalMs ?? 5_000;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const misses = options.misses ?? 2;
  const controller = new AbortController();
  let missed = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const ask = async (): Promise<void> => {
    try {
      await server.version(timeoutMs);
      missed = 0;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ECONNREFUSED') missed = 0;
      else missed += 1;
      if (missed >= misses && !stopped) {
        controller.abort(`the adb server at ${server.address} stopped answering (${missed} questions in a row: ${errorMessage(err)})`);
        return;
      }
    }
    if (!stopped) timer = setTimeout(() => void ask(), intervalMs);
  };
  timer = setTimeout(() => void ask(), intervalMs);
  return {
    signal: controller.signal,
    lost: () => (controller.signal.aborted ? String(controller.signal.reason) : null),
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/**
 * The promise's value, or a rejection with the watch's reason once it aborts. What the promise
 * was waiting for is left to end by itself; `abandoned` is given its value if it still comes
 * (to end a session nobody waits for any more).
 */
export function unlessLost<T>(promise: Promise<T>, watch: AdbServerWatch, abandoned?: (value: T) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onLost = () => reject(new Error(String(watch.signal.reason)));
    if (watch.signal.aborted) onLost();
    else watch.signal.addEventListener('abort', onLost, { once: true });
    promise.then(
      (value) => {
        watch.signal.removeEventListener('abort', onLost);
        if (watch.signal.aborted) abandoned?.(value);
        else resolve(value);
      },
      (err: unknown) => {
        watch.signal.removeEventListener('abort', onLost);
        reject(err);
      },
    );
  });
}
