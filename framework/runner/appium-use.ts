import { startAppiumServer } from '../appium/server.js';

/**
 * The Appium server a run talks to: the user's (`--appium URL`: a server on another host, a
 * Selenium Grid), used as it is, or one mplab starts for the run and stops after it.
 */
export async function withAppium<T>(opts: { url?: string; logFile: string }, use: (url: string) => Promise<T>): Promise<T> {
  if (opts.url) return use(opts.url.replace(/\/+$/, ''));
  const server = await startAppiumServer({ logFile: opts.logFile });
  try {
    return await use(server.url);
  } finally {
    await server.stop();
  }
}
