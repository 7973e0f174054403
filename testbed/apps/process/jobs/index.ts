import type { Emit } from '../channel.js';
import type { Job } from '../protocol.js';
import { runChat } from './chat.js';
import { runGet } from './get.js';
import { runList } from './list.js';
import { runLive } from './live.js';
import { runPage } from './page.js';
import type { JobRun } from './run.js';
import { runStream } from './stream.js';
import { runUpload } from './upload.js';
import { runVideo } from './video.js';

export function startJob(job: Job, emit: Emit): JobRun {
  switch (job.kind) {
    case 'get':
      return runGet(job, emit);
    case 'upload':
      return runUpload(job, emit);
    case 'page':
      return runPage(job, emit);
    case 'video':
      return runVideo(job, emit);
    case 'stream':
      return runStream(job, emit);
    case 'live':
      return runLive(job, emit);
    case 'chat':
      return runChat(job, emit);
    case 'list':
      return runList(job, emit);
  }
}
