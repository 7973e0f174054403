import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UserError } from '../common/errors.js';
import type { AckBin, AckSizeBins, ConnectionRecord, SubflowRecord } from './records.js';
import type { Summary } from './summary.js';

/** Where the analysis goes: a directory (the CLI) or memory (tests, other code). */
export interface AnalysisOutput {
  connection(record: ConnectionRecord): void;
  subflow(record: SubflowRecord): void;
  summary(summary: Summary): void;
  /** the analysis is complete: make what was written the result */
  close(): void;
  /** the analysis failed: discard what was written, leave any earlier result as it was */
  abort(): void;
}

export class MemoryOutput implements AnalysisOutput {
  readonly connections: ConnectionRecord[] = [];
  readonly subflows: SubflowRecord[] = [];
  result: Summary | null = null;
  connection(record: ConnectionRecord): void {
    this.connections.push(record);
  }
  subflow(record: SubflowRecord): void {
    this.subflows.push(record);
  }
  summary(summary: Summary): void {
    this.result = summary;
  }
  close(): void {}
  abort(): void {
    this.connections.length = 0;
    this.subflows.length = 0;
    this.result = null;
  }
}

/** A file written under a temporary name next to its place, and put there only once complete. */
function partialName(path: string): string {
  return join(dirname(path), `.${basename(path)}.partial`);
}

/**
 * JSON Lines appended through a buffer, written in large blocks. Each line is encoded into the
 * buffer as it comes (a list of strings joined at each flush cost a copy of every line more).
 */
const BLOCK = 1 << 20;

class JsonlFile {
  private readonly fd: number;
  private readonly block = Buffer.allocUnsafe(BLOCK);
  private used = 0;
  private open = true;

  constructor(readonly path: string) {
    this.fd = openSync(partialName(path), 'w');
  }

  write(value: unknown): void {
    this.writeLine(`${JSON.stringify(value)}\n`);
  }

  writeLine(line: string): void {
    // at most 3 bytes of UTF-8 per UTF-16 unit
    if (this.used + 3 * line.length > BLOCK) {
      this.flush();
      if (3 * line.length > BLOCK) {
        writeSync(this.fd, line);
        return;
      }
    }
    this.used += this.block.write(line, this.used);
  }

  /** The file's descriptor, for a writer of its own: what was written through here is written out first. */
  descriptor(): number {
    this.flush();
    return this.fd;
  }

  flush(): void {
    if (this.used === 0) return;
    writeSync(this.fd, this.block, 0, this.used);
    this.used = 0;
  }

  /** Writes what is pending and closes the file, still under its temporary name. */
  close(): void {
    if (!this.open) return;
    this.open = false;
    this.flush();
    closeSync(this.fd);
  }

  publish(): void {
    this.close();
    renameSync(partialName(this.path), this.path);
  }

  discard(): void {
    if (this.open) {
      this.open = false;
      closeSync(this.fd);
    }
    rmSync(partialName(this.path), { force: true });
  }
}

/**
 * The three files in a directory. They are written under temporary names and renamed into place
 * when the analysis completes, so that a run that fails (a bad file, an error halfway through a
 * large trace) leaves an earlier result in the directory whole, not emptied or mixed.
 */
export class DirectoryOutput implements AnalysisOutput {
  private readonly connections: JsonlFile;
  private readonly subflows: JsonlFile;
  private summaryText: string | null = null;

  constructor(readonly dir: string) {
    try {
      mkdirSync(dir, { recursive: true });
      this.connections = new JsonlFile(join(dir, 'connections.jsonl'));
      this.subflows = new JsonlFile(join(dir, 'subflows.jsonl'));
    } catch (err) {
      throw new UserError(`--out ${dir}: cannot write there: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }

  connection(record: ConnectionRecord): void {
    this.connections.writeLine(connectionJsonLine(record));
  }

  subflow(record: SubflowRecord): void {
    this.subflows.write(record);
  }

  summary(summary: Summary): void {
    this.summaryText = `${JSON.stringify(summary, null, 2)}\n`;
  }

  /**
   * The descriptors of the two partial files, for an engine that writes the JSON lines itself (the
   * native analyzer); what was written here comes first. close() and abort() still close them and
   * publish or discard them, so nothing may write to them after either.
   */
  descriptors(): { connections: number; subflows: number } {
    return { connections: this.connections.descriptor(), subflows: this.subflows.descriptor() };
  }

  close(): void {
    const summaryPath = join(this.dir, 'summary.json');
    if (this.summaryText !== null) writeFileSync(partialName(summaryPath), this.summaryText);
    this.connections.publish();
    this.subflows.publish();
    if (this.summaryText !== null) renameSync(partialName(summaryPath), summaryPath);
  }

  abort(): void {
    this.connections.discard();
    this.subflows.discard();
    rmSync(partialName(join(this.dir, 'summary.json')), { force: true });
  }
}

/**
 * A connection record as JSON.stringify writes it, byte for byte, but with `ackSizes` (its last
 * field) written by hand: JSON.stringify's generic path through its small arrays cost half as much
 * again as the rest of the record on a capture of short connections. The field is taken off the
 * record for the call and put back at once.
 */
export function connectionJsonLine(record: ConnectionRecord): string {
  const { ackSizes } = record;
  (record as { ackSizes: unknown }).ackSizes = undefined;
  try {
    const rest = JSON.stringify(record);
    return `${rest.slice(0, -1)},"ackSizes":{"up":${sidesJson(ackSizes.up)},"down":${sidesJson(ackSizes.down)}}}\n`;
  } finally {
    record.ackSizes = ackSizes;
  }
}

function sidesJson(sides: AckSizeBins): string {
  return `{"tcp":${binsJson(sides.tcp)},"data":${binsJson(sides.data)}}`;
}

function binsJson(bins: readonly AckBin[]): string {
  let out = '[';
  for (let i = 0; i < bins.length; i++) {
    const b = bins[i]!;
    out += `${i === 0 ? '' : ','}[${b[0]},${b[1]},${b[2]}]`;
  }
  return `${out}]`;
}
