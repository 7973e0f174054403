import type { App } from './app.js';

/**
 * A messaging app's conversation model (WhatsApp, Messenger): one long-lived connection to the
 * chat server, opened when the app starts and kept (pinged while idle, opened again when it
 * breaks); messages that go pending, sent (the server's ack), delivered and read (its receipts);
 * media sent as an upload on a connection of its own, then announced on the chat connection.
 */
export type DeliveryStatus = 'pending' | 'sent' | 'delivered' | 'read' | 'failed';

export interface Message {
  id: number;
  from: 'me' | string;
  kind: 'text' | 'photo' | 'video' | 'like' | 'document';
  body: string;
  at: number;
  status: DeliveryStatus;
  /** Media: its size, and the upload's or download's progress (0..1) while one runs. */
  bytes?: number;
  progress?: number;
  /** When it went out, and when the server acknowledged it and the recipient got it (epoch ms). */
  sentAt?: number;
  ackAt?: number;
  deliveredAt?: number;
}

export interface ChatServer {
  host: string;
  port: number;
  pingMs: number;
}

export class ChatSession {
  connected = false;
  readonly messages = new Map<string, Message[]>();
  private send: ((messageId: number, body: string) => void) | undefined;
  private nextId = 1;
  private readonly byId = new Map<number, Message>();

  constructor(private readonly app: Pick<App<unknown>, 'job' | 'log'>) {}

  /** Opens the long-lived connection (the app calls it when it starts). */
  connect(server: ChatServer, user: string): void {
    const request = this.app.job({ kind: 'chat', host: server.host, port: server.port, user, pingMs: server.pingMs }, (event) => {
      if (event.type === 'connected') this.connected = true;
      else if (event.type === 'closed') this.connected = false;
      else if (event.type === 'ack') this.update(event.messageId, 'sent', 'ackAt');
      else if (event.type === 'receipt') this.update(event.messageId, event.status, event.status === 'delivered' ? 'deliveredAt' : undefined);
      else if (event.type === 'error') this.app.log('W', 'ChatConnection', event.message);
    });
    this.send = (messageId, body) => request.input({ type: 'send', messageId, body });
  }

  private update(id: number, status: DeliveryStatus, stamp?: 'ackAt' | 'deliveredAt'): void {
    const message = this.byId.get(id);
    if (!message) return;
    const order: DeliveryStatus[] = ['pending', 'sent', 'delivered', 'read'];
    if (order.indexOf(status) > order.indexOf(message.status)) message.status = status;
    if (stamp && message[stamp] === undefined) message[stamp] = Date.now();
  }

  thread(peer: string): Message[] {
    let list = this.messages.get(peer);
    if (!list) this.messages.set(peer, (list = []));
    return list;
  }

  /** A message from the peer (the app's history). */
  received(peer: string, message: Omit<Message, 'id' | 'from' | 'status' | 'at'> & { at?: number }): Message {
    const m: Message = { id: this.nextId++, from: peer, status: 'read', at: message.at ?? Date.now(), ...message };
    this.thread(peer).push(m);
    return m;
  }

  /** A text (or a like) to the peer, over the chat connection. */
  sendText(peer: string, body: string, kind: Message['kind'] = 'text'): Message {
    const m: Message = { id: this.nextId++, from: 'me', kind, body, at: Date.now(), status: 'pending', sentAt: Date.now() };
    this.thread(peer).push(m);
    this.byId.set(m.id, m);
    this.send?.(m.id, JSON.stringify({ to: peer, kind, body }));
    return m;
  }

  /** A photo or video: uploaded to the media server on a connection of its own, then announced to the peer. */
  sendMedia(peer: string, kind: 'photo' | 'video', name: string, bytes: number, uploadUrl: string): Message {
    const m: Message = { id: this.nextId++, from: 'me', kind, body: name, bytes, at: Date.now(), status: 'pending', progress: 0, sentAt: Date.now() };
    this.thread(peer).push(m);
    this.byId.set(m.id, m);
    this.app.job({ kind: 'upload', url: uploadUrl, bytes, fresh: true }, (event) => {
      if (event.type === 'progress') m.progress = event.total ? event.bytes / event.total : 0;
      else if (event.type === 'done') {
        m.progress = undefined;
        this.send?.(m.id, JSON.stringify({ to: peer, kind, media: name, bytes }));
      } else if (event.type === 'error') {
        m.progress = undefined;
        m.status = 'failed';
        this.app.log('W', 'MediaUpload', event.message);
      }
    });
    return m;
  }
}
