import type { Readable } from 'node:stream';

/**
 * Calls `onLine` for every line (without its newline) that arrives on a text stream, one JSON
 * object per line or a program's log: the stream is read as UTF-8, a partial last line waits for
 * its end. A line longer than `maxLength` characters ends the stream (destroyed: a peer that
 * never sends a newline cannot fill the memory).
 */
export function onLines(stream: Readable, onLine: (line: string) => void, maxLength = 1_048_576): void {
  let buffer = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffer += chunk;
    let end: number;
    while ((end = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 1);
      onLine(line);
    }
    if (buffer.length > maxLength) stream.destroy(new Error(`a line longer than ${maxLength} characters`));
  });
}
