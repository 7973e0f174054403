import { promises as fs } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { drain, request, text } from '../http.js';
import { Progress } from '../progress.js';
import type { PageJob } from '../protocol.js';
import type { JobStarter } from './run.js';

/** The objects a page references (src="..." of its scripts and images), as absolute URLs. */
export function pageObjects(html: string, base: string): string[] {
  const urls: string[] = [];
  for (const match of html.matchAll(/\bsrc="([^"]+)"/g)) urls.push(new URL(match[1].replace(/&amp;/g, '&'), base).toString());
  return urls;
}

/** The cache file of a URL: one file per URL, its path and query made a file name. */
export function cacheFile(dir: string, url: string): string {
  const u = new URL(url);
  return path.join(dir, `${u.host}${u.pathname}${u.search}`.replace(/[^A-Za-z0-9._-]/g, '_'));
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

/**
 * A page load as a browser does it: the HTML, then its objects over at most `parallel`
 * connections kept alive for the page (one server: a browser's per-host limit), each stored in
 * the cache folder; objects already there are not fetched (a warm cache). Done when every object
 * has arrived.
 */
export const runPage: JobStarter<PageJob> = (job, emit) => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.parallel ?? 6 });
  const progress = new Progress(emit);
  const items = { done: 0, total: 0 };
  progress.items = items;
  let cancelled = false;
  const fetchObject = async (url: string): Promise<boolean> => {
    const file = job.cacheDir ? cacheFile(job.cacheDir, url) : undefined;
    if (file && (await exists(file))) return true;
    const { response } = request(url, { agent });
    const res = await response;
    if (file) {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      await drain(res, (n) => (progress.bytes += n));
      await fs.writeFile(file, Buffer.concat(chunks));
    } else {
      await drain(res, (n) => (progress.bytes += n));
    }
    return false;
  };
  void (async () => {
    if (job.cacheDir) await fs.mkdir(job.cacheDir, { recursive: true });
    const { response } = request(job.url, { agent });
    const html = await text(await response);
    progress.bytes += Buffer.byteLength(html);
    const objects = pageObjects(html, job.objectsFrom ?? job.url);
    items.total = objects.length;
    let fromCache = 0;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (!cancelled && next < objects.length) {
        const url = objects[next++];
        if (await fetchObject(url)) fromCache++;
        items.done++;
      }
    };
    await Promise.all(Array.from({ length: job.parallel ?? 6 }, worker));
    agent.destroy();
    if (!cancelled) progress.done({ objects: items.total, fromCache });
  })().catch((error: unknown) => {
    agent.destroy();
    progress.fail(error);
  });
  return {
    cancel: () => {
      cancelled = true;
      progress.close();
      agent.destroy();
    },
  };
};
