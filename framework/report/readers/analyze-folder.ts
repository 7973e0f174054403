import type { ReportTest, TestSource } from '../model.js';
import { readAnalyzerRecords, summaryStart } from './analyzer-files.js';

/**
 * One `mplab analyze` output folder as one test without metadata: a user with a single trace gets
 * its per-connection figures and tables, unsplit by app, mode or network.
 */
export class AnalyzeFolderSource implements TestSource {
  readonly label: string;

  constructor(
    private readonly dir: string,
    private readonly input: string = dir,
  ) {
    this.label = `analyze output ${input}`;
  }

  count(): number {
    return 1;
  }

  async *tests(): AsyncIterable<ReportTest> {
    const dir = this.dir;
    yield {
      id: this.input,
      input: this.input,
      location: dir,
      app: null,
      scenario: null,
      mode: null,
      network: null,
      phone: null,
      verdict: null,
      start: summaryStart(dir),
      seconds: null,
      measures: [],
      records: async () => readAnalyzerRecords(dir),
    };
  }
}
