import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { unlessLost, type AdbServerWatch } from '../../../framework/runner/adb-server-watch.js';
import { TimeoutError, withTimeout } from '../../../common/timeout.js';

/** A watch whose loss the test decides (the real one, against real adb servers, is in the lab tests). */
function manualWatch(): AdbServerWatch & { lose(why: string): void } {
  const controller = new AbortController();
  let why: string | null = null;
  return {
    signal: controller.signal,
    lost: () => why,
    stop: () => undefined,
    lose: (w) => {
      why = w;
      controller.abort(w);
    },
  };
}

describe('unlessLost', () => {
  it('gives the value when the server stays', async () => {
    const watch = manualWatch();
    await expect(unlessLost(sleep(20).then(() => 'session'), watch)).resolves.toBe('session');
  });

  it('passes the promise\'s own rejection on', async () => {
    const watch = manualWatch();
    await expect(unlessLost(Promise.reject(new Error('HTTP 500')), watch)).rejects.toThrow('HTTP 500');
  });

  it('rejects with the watch\'s reason as soon as the server is lost, and hands a value that comes later to `abandoned`', async () => {
    const watch = manualWatch();
    const late: string[] = [];
    const pending = unlessLost(sleep(100).then(() => 'late session'), watch, (v) => late.push(v));
    const started = Date.now();
    setTimeout(() => watch.lose('the adb server at 127.0.0.1:5037 stopped answering'), 10);
    await expect(pending).rejects.toThrow('the adb server at 127.0.0.1:5037 stopped answering');
    expect(Date.now() - started).toBeLessThan(90);
    expect(late).toEqual([]);
    await sleep(150);
    expect(late).toEqual(['late session']);
  });

  it('rejects at once when the server was lost before', async () => {
    const watch = manualWatch();
    watch.lose('gone');
    await expect(unlessLost(new Promise<never>(() => undefined), watch)).rejects.toThrow('gone');
  });
});

describe('withTimeout', () => {
  it('gives the value in time, else a TimeoutError after calling onTimeout', async () => {
    await expect(withTimeout(sleep(5).then(() => 1), 1_000, 'quick')).resolves.toBe(1);
    let ended = false;
    const err = await withTimeout(new Promise<never>(() => undefined), 100, 'DELETE /session', () => (ended = true)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toBe('DELETE /session: no answer within 0.1 s');
    expect(ended).toBe(true);
  });
});
