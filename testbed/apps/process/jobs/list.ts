import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ListJob } from '../protocol.js';
import { errorText, type JobStarter } from './run.js';

/** A folder's files, newest first, as a file picker lists them. */
export const runList: JobStarter<ListJob> = (job, emit) => {
  void (async () => {
    const files: Array<{ name: string; size: number; mtime: number }> = [];
    for (const entry of await fs.readdir(job.dir, { withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const stat = await fs.stat(path.join(job.dir, entry.name));
      files.push({ name: entry.name, size: stat.size, mtime: stat.mtimeMs });
    }
    files.sort((a, b) => b.mtime - a.mtime || a.name.localeCompare(b.name));
    emit({ type: 'files', files });
    emit({ type: 'done', bytes: 0, ms: 0 });
  })().catch((error: unknown) => emit({ type: 'error', message: errorText(error) }));
  return { cancel: () => undefined };
};
