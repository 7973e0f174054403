/**
 * The adb transport's message format (AOSP packages/modules/adb protocol.txt): a 24-byte header of
 * six little-endian 32-bit words (command, arg0, arg1, payload length, payload checksum, magic =
 * command ^ 0xffffffff) followed by the payload.
 */

export const HEADER_SIZE = 24;

function commandId(name: string): number {
  return Buffer.from(name, 'latin1').readUInt32LE(0);
}

export const A_SYNC = commandId('SYNC');
export const A_CNXN = commandId('CNXN');
export const A_AUTH = commandId('AUTH');
export const A_OPEN = commandId('OPEN');
export const A_OKAY = commandId('OKAY');
export const A_CLSE = commandId('CLSE');
export const A_WRTE = commandId('WRTE');
export const A_STLS = commandId('STLS');

/** The first protocol version; peers at this version check payload checksums. */
export const VERSION_MIN = 0x01000000;
/** From this version on the checksum field may be zero and is not checked. */
export const VERSION_SKIP_CHECKSUM = 0x01000001;

/** Largest payload this daemon accepts (adbd's MAX_PAYLOAD). */
export const MAX_PAYLOAD = 1024 * 1024;
/** Every peer accepts at least this much, also before CNXN has told the real figure. */
export const MAX_PAYLOAD_V1 = 4 * 1024;

export interface Message {
  command: number;
  arg0: number;
  arg1: number;
  payload: Buffer;
}

/** A message as read, with the checksum its sender put in the header. */
export interface ReceivedMessage extends Message {
  checksum: number;
}

export function commandName(command: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(command >>> 0, 0);
  return /^[A-Z]{4}$/.test(b.toString('latin1')) ? b.toString('latin1') : `0x${(command >>> 0).toString(16)}`;
}

/** The old checksum: the unsigned sum of the payload's bytes (not a CRC, despite the field's name). */
export function payloadChecksum(payload: Buffer): number {
  let sum = 0;
  for (let i = 0; i < payload.length; i++) sum += payload[i];
  return sum >>> 0;
}

export function encodeMessage(message: Message, withChecksum: boolean): Buffer {
  const header = Buffer.alloc(HEADER_SIZE);
  header.writeUInt32LE(message.command >>> 0, 0);
  header.writeUInt32LE(message.arg0 >>> 0, 4);
  header.writeUInt32LE(message.arg1 >>> 0, 8);
  header.writeUInt32LE(message.payload.length, 12);
  header.writeUInt32LE(withChecksum ? payloadChecksum(message.payload) : 0, 16);
  header.writeUInt32LE((message.command ^ 0xffffffff) >>> 0, 20);
  return message.payload.length ? Buffer.concat([header, message.payload]) : header;
}

export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

/** Whether a received message's checksum is acceptable at the negotiated protocol version. */
export function checksumAcceptable(message: ReceivedMessage, version: number): boolean {
  if (version >= VERSION_SKIP_CHECKSUM) return true;
  // Before CNXN the version is unknown: a peer that announces the skip-checksum version in its
  // CNXN may already leave the field zero.
  if (message.command === A_CNXN && message.arg0 >= VERSION_SKIP_CHECKSUM && message.checksum === 0) return true;
  return message.checksum === payloadChecksum(message.payload);
}

/**
 * Splits a byte stream into messages. `maxPayload` bounds what a header may announce; a header
 * with a bad magic or an oversized length is a protocol error (the connection must be closed).
 */
export class MessageReader {
  private buffered: Buffer[] = [];
  private length = 0;
  maxPayload = MAX_PAYLOAD;

  push(chunk: Buffer): ReceivedMessage[] {
    this.buffered.push(chunk);
    this.length += chunk.length;
    const messages: ReceivedMessage[] = [];
    for (;;) {
      if (this.length < HEADER_SIZE) break;
      const head = this.peek(HEADER_SIZE);
      const command = head.readUInt32LE(0);
      const magic = head.readUInt32LE(20);
      if (((command ^ 0xffffffff) >>> 0) !== magic) {
        throw new ProtocolError(`bad magic 0x${magic.toString(16)} for command ${commandName(command)}`);
      }
      const size = head.readUInt32LE(12);
      if (size > this.maxPayload) {
        throw new ProtocolError(`${commandName(command)} payload of ${size} bytes exceeds the maximum of ${this.maxPayload}`);
      }
      if (this.length < HEADER_SIZE + size) break;
      const whole = this.take(HEADER_SIZE + size);
      const payload = Buffer.from(whole.subarray(HEADER_SIZE));
      messages.push({ command, arg0: head.readUInt32LE(4), arg1: head.readUInt32LE(8), payload, checksum: head.readUInt32LE(16) });
    }
    return messages;
  }

  private peek(n: number): Buffer {
    if (this.buffered[0].length < n) this.buffered = [Buffer.concat(this.buffered)];
    return this.buffered[0].subarray(0, n);
  }

  private take(n: number): Buffer {
    if (this.buffered[0].length < n) this.buffered = [Buffer.concat(this.buffered)];
    const first = this.buffered[0];
    const out = first.subarray(0, n);
    if (first.length === n) this.buffered.shift();
    else this.buffered[0] = first.subarray(n);
    this.length -= n;
    return out;
  }
}

/** `device::ro.product.name=x;ro.product.model=y;ro.product.device=z;features=a,b`. */
export function deviceBanner(props: { name: string; model: string; device: string }, features: readonly string[]): string {
  return `device::ro.product.name=${props.name};ro.product.model=${props.model};ro.product.device=${props.device};features=${features.join(',')}`;
}
