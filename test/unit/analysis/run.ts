import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../support/tmp.js';
import { analyzeFiles, type AnalyzeOptions } from '../../../analysis/analyze.js';
import { MemoryOutput } from '../../../analysis/output.js';
import { LINKTYPE, pcapFile, type CaptureRecord, type Link } from '../../support/pcap-writer.js';

/** Writes `records` as a pcap file in a fresh temporary directory and returns its path. */
export function writeCapture(records: CaptureRecord[], link: Link = 'raw', name = 'trace.pcap', snaplen?: number): string {
  const dir = tempDir();
  const file = join(dir, name);
  writeFileSync(file, pcapFile(records, { linktype: LINKTYPE[link], snaplen }));
  return file;
}

export function analyzeRecords(records: CaptureRecord[], options: AnalyzeOptions & { link?: Link; snaplen?: number } = {}): MemoryOutput {
  const out = new MemoryOutput();
  analyzeFiles([writeCapture(records, options.link ?? 'raw', 'trace.pcap', options.snaplen)], out, { progress: false, ...options });
  return out;
}
