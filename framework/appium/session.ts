import { remote } from 'webdriverio';
import type { Capabilities } from './capabilities.js';

/**
 * A WebdriverIO session against any Appium server: one mplab started (server.ts) or one a user
 * runs elsewhere (`--appium URL`); this code does not care which.
 */

export type AppiumSession = WebdriverIO.Browser;

export interface SessionOptions {
  /** The server's URL, e.g. http://127.0.0.1:4723 or http://grid:4444/wd/hub. */
  url: string;
  capabilities: Capabilities;
  /** How long to wait for each request (session creation included). Default 120 s. */
  requestTimeoutMs?: number;
  /** WebdriverIO's own log on stderr. Default 'warn'. */
  logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent';
}

export async function openSession(options: SessionOptions): Promise<AppiumSession> {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new Error(`Appium URL ${JSON.stringify(options.url)}: expected http://HOST:PORT[/PATH]`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`Appium URL ${options.url}: expected http or https, got ${url.protocol}`);
  return remote({
    protocol: url.protocol.slice(0, -1),
    hostname: url.hostname,
    port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
    path: url.pathname === '' ? '/' : url.pathname,
    capabilities: options.capabilities as WebdriverIO.Capabilities,
    logLevel: options.logLevel ?? 'warn',
    connectionRetryTimeout: options.requestTimeoutMs ?? 120_000,
    connectionRetryCount: 0,
  });
}
