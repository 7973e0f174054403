import { randomFillSync } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import type http from 'node:http';
import { Readable, Transform } from 'node:stream';
import { agentFor, request, text } from '../http.js';
import { Progress } from '../progress.js';
import type { UploadJob } from '../protocol.js';
import type { JobStarter } from './run.js';

/** `n` random bytes in 64 KiB pieces (a photo or a video the app made). */
function generated(n: number): Readable {
  let left = n;
  return new Readable({
    read() {
      if (left <= 0) {
        this.push(null);
        return;
      }
      const size = Math.min(left, 65536);
      left -= size;
      this.push(randomFillSync(Buffer.allocUnsafe(size)));
    },
  });
}

/** An upload of a file's real bytes (or of generated ones) in one POST, with its progress. */
export const runUpload: JobStarter<UploadJob> = (job, emit) => {
  const progress = new Progress(emit);
  let req: http.ClientRequest | undefined;
  let cancelled = false;
  void (async () => {
    const total = job.file ? (await fs.stat(job.file)).size : (job.bytes ?? 0);
    progress.total = total;
    const source = job.file ? createReadStream(job.file) : generated(total);
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        progress.bytes += chunk.length;
        done(null, chunk);
      },
    });
    const sent = request(job.url, { method: 'POST', agent: agentFor(job.fresh), headers: { 'content-type': 'application/octet-stream', 'content-length': total } }, (r) => {
      source.on('error', (error: Error) => r.destroy(error));
      source.pipe(counter).pipe(r);
    });
    req = sent.req;
    if (cancelled) req.destroy();
    const answer = await text(await sent.response);
    let server: unknown = answer;
    try {
      server = JSON.parse(answer);
    } catch {
      // not JSON: keep the text
    }
    progress.done({ server });
  })().catch((error: unknown) => progress.fail(error));
  return {
    cancel: () => {
      cancelled = true;
      progress.close();
      req?.destroy();
    },
  };
};
