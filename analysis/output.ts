import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../common/errors.js';
import type { ConnectionRecord, SubflowRecord } from './records.js';
import type { Summary } from './summary.js';

/** Where the analysis goes: a directory (the CLI) or memory (tests, other code). */
export interface AnalysisOutput {
  connection(record: ConnectionRecord): void;
  subflow(record: SubflowRecord): void;
  summary(summary: Summary): void;
  close(): void;
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
}

/** JSON Lines appended through a buffer, written in large blocks. */
class JsonlFile {
  private readonly fd: number;
  private pending: string[] = [];
  private pendingChars = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
  }

  write(value: unknown): void {
    const line = `${JSON.stringify(value)}\n`;
    this.pending.push(line);
    this.pendingChars += line.length;
    if (this.pendingChars > 1 << 20) this.flush();
  }

  flush(): void {
    if (this.pending.length === 0) return;
    writeSync(this.fd, this.pending.join(''));
    this.pending = [];
    this.pendingChars = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

export class DirectoryOutput implements AnalysisOutput {
  private readonly connections: JsonlFile;
  private readonly subflows: JsonlFile;

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
    this.connections.write(record);
  }

  subflow(record: SubflowRecord): void {
    this.subflows.write(record);
  }

  summary(summary: Summary): void {
    writeFileSync(join(this.dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  }

  close(): void {
    this.connections.close();
    this.subflows.close();
  }
}
