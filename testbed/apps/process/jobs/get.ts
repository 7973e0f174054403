import { createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { agentFor, drain, request } from '../http.js';
import { Progress } from '../progress.js';
import type { GetJob } from '../protocol.js';
import type { JobStarter } from './run.js';

/** A download with its progress (a file a user receives, a feed's JSON), kept in a file when asked. */
export const runGet: JobStarter<GetJob> = (job, emit) => {
  const progress = new Progress(emit);
  const { req, response } = request(job.url, { agent: agentFor(job.fresh) });
  void (async () => {
    const res = await response;
    progress.total = Number(res.headers['content-length']) || null;
    let written: Promise<void> = Promise.resolve();
    if (job.saveAs) {
      await fs.mkdir(path.dirname(job.saveAs), { recursive: true });
      const out = createWriteStream(job.saveAs);
      written = new Promise<void>((resolve, reject) => {
        out.on('finish', resolve);
        out.on('error', reject);
      });
      res.pipe(out);
    }
    await drain(res, (n) => (progress.bytes += n));
    await written;
    progress.done();
  })().catch((error: unknown) => progress.fail(error));
  return {
    cancel: () => {
      progress.close();
      req.destroy();
    },
  };
};
