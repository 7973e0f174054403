import net from 'node:net';
import { onLines } from '../../../../common/lines.js';
import { log } from '../channel.js';
import type { ChatJob } from '../protocol.js';
import { errorText, type JobStarter } from './run.js';

/**
 * A messaging app's long-lived connection: hello, then messages (each acknowledged by the server,
 * then a delivery receipt), a ping while idle; when the connection breaks it is opened again two
 * seconds later, and messages sent meanwhile go out once it is back. Runs until cancelled (the
 * process's end closes it).
 */
export const runChat: JobStarter<ChatJob> = (job, emit) => {
  let socket: net.Socket | undefined;
  let connected = false;
  let cancelled = false;
  let reconnect: NodeJS.Timeout | undefined;
  let idle: NodeJS.Timeout | undefined;
  const outbox: string[] = [];

  const write = (message: object): void => {
    const line = `${JSON.stringify(message)}\n`;
    if (connected && socket) socket.write(line);
    else outbox.push(line);
    armPing();
  };
  const armPing = (): void => {
    clearTimeout(idle);
    if (job.pingMs && !cancelled) idle = setTimeout(() => write({ type: 'ping' }), job.pingMs);
  };

  const open = (): void => {
    if (cancelled) return;
    const s = net.connect({ host: job.host, port: job.port, noDelay: true });
    socket = s;
    s.on('connect', () => {
      s.write(`${JSON.stringify({ type: 'hello', user: job.user })}\n`);
    });
    onLines(s, (line) => {
      let message: { type?: string; id?: number; status?: string };
      try {
        message = JSON.parse(line) as typeof message;
      } catch {
        return;
      }
      if (message.type === 'welcome') {
        connected = true;
        emit({ type: 'connected' });
        for (const queued of outbox.splice(0)) s.write(queued);
        armPing();
      } else if (message.type === 'ack' && typeof message.id === 'number') {
        emit({ type: 'ack', messageId: message.id });
      } else if (message.type === 'receipt' && typeof message.id === 'number') {
        emit({ type: 'receipt', messageId: message.id, status: message.status === 'read' ? 'read' : 'delivered' });
      }
    });
    s.on('error', (error) => log('W', 'ChatConnection', `${job.host}:${job.port}: ${errorText(error)}`));
    s.on('close', () => {
      if (socket !== s) return;
      const was = connected;
      connected = false;
      if (cancelled) return;
      if (was) emit({ type: 'closed', reason: 'connection lost' });
      reconnect = setTimeout(open, 2000);
    });
  };

  open();
  return {
    input: (input) => {
      if (input.type === 'send') write({ type: 'message', id: input.messageId, body: input.body, receipts: true });
    },
    cancel: () => {
      cancelled = true;
      clearTimeout(reconnect);
      clearTimeout(idle);
      socket?.destroy();
    },
  };
};
