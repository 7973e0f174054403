/** A promise that did not settle in time; the work behind it may still be going on. */
export class TimeoutError extends Error {
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
  ) {
    super(`${what}: no answer within ${(timeoutMs / 1000).toFixed(1)} s`);
    this.name = 'TimeoutError';
  }
}

/**
 * The promise's value, or a rejection once `timeoutMs` has passed (`onTimeout` first, to end what
 * the promise waits for). `error` makes the rejection's error (a TimeoutError by default).
 */
export async function withTimeout<T>(
  promise: PromiseLike<T>,
  timeoutMs: number,
  what: string,
  onTimeout?: () => void,
  error: (what: string, timeoutMs: number) => Error = (w, ms) => new TimeoutError(w, ms),
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout?.();
      reject(error(what, timeoutMs));
    }, timeoutMs);
  });
  try {
    return await Promise.race([Promise.resolve(promise), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
