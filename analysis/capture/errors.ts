import { UserError } from '../../common/errors.js';

/** A capture file that cannot be read: names the file and, when known, the byte offset. */
export class CaptureError extends UserError {
  constructor(
    readonly file: string,
    readonly offset: number | null,
    readonly reason: string,
  ) {
    super(offset === null ? `${file}: ${reason}` : `${file}: byte offset ${offset}: ${reason}`);
    this.name = 'CaptureError';
  }
}
