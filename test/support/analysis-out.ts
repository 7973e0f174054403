import { analyzeFiles } from '../../analysis/analyze.js';
import { DirectoryOutput } from '../../analysis/output.js';
import { dirContents } from './dir-contents.js';
import { Conversation, pcapFile, type CaptureRecord } from './pcap-writer.js';
import { tempDir, tempFile } from './tmp.js';

/** An --out directory holding the result of a small sound capture, and its contents: what a failed run must leave. */
export function earlierResult(): { dir: string; before: Record<string, string> } {
  const dir = tempDir();
  const recs: CaptureRecord[] = [];
  new Conversation(recs, '198.18.1.2:40000', '198.18.0.1:1080').handshake(1_763_000_000).send('up', 1_763_000_000.1, 100);
  analyzeFiles([tempFile('good.pcap', pcapFile(recs, { linktype: 101 }))], new DirectoryOutput(dir), { progress: false });
  return { dir, before: dirContents(dir) };
}
