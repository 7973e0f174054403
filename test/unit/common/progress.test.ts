import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { progress } from '../../../common/progress.js';

describe('progress', () => {
  it('writes rate-limited lines with totals and percentages when not on a terminal', () => {
    const out = new PassThrough();
    const chunks: string[] = [];
    out.on('data', (c: Buffer) => chunks.push(c.toString()));
    const p = progress({ label: 'reading', total: 200, unit: 'packets', intervalMs: 60_000, stream: out as unknown as NodeJS.WriteStream });
    p.update(50);
    p.update(100); // within the interval: not written
    p.finish('done');
    expect(chunks).toHaveLength(2);
    expect(chunks[0]).toMatch(/^reading: 50\/200 packets 25\.0%/);
    expect(chunks[1]).toMatch(/^reading: 100\/200 packets 50\.0%.*done\n$/);
  });
});
