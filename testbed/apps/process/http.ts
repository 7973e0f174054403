import http from 'node:http';

/**
 * The app's HTTP client. Requests share one pool of kept-alive connections per server, at most
 * 6 at a time (as OkHttp and browsers do), unless a job asks for a connection of its own.
 */
const pool = new http.Agent({ keepAlive: true, maxSockets: 6, keepAliveMsecs: 30_000 });

export function agentFor(fresh: boolean | undefined): http.Agent | false {
  return fresh ? false : pool;
}

/** A request whose response must be 2xx; rejects with what the server said otherwise. */
export function request(url: string, options: http.RequestOptions, body?: (req: http.ClientRequest) => void): { req: http.ClientRequest; response: Promise<http.IncomingMessage> } {
  const req = http.request(url, options);
  const response = new Promise<http.IncomingMessage>((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (res) => {
      if ((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300) {
        resolve(res);
        return;
      }
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text = (text + d).slice(0, 300)));
      res.on('end', () => reject(new Error(`HTTP ${res.statusCode} from ${url}: ${text.trim()}`)));
      res.on('error', reject);
    });
  });
  if (body) body(req);
  else req.end();
  return { req, response };
}

/** The whole body as text. */
export async function text(res: http.IncomingMessage): Promise<string> {
  res.setEncoding('utf8');
  let out = '';
  for await (const chunk of res) out += chunk as string;
  return out;
}

/** Reads a body to its end, counting bytes as they come; resolves with the count. */
export function drain(res: http.IncomingMessage, onBytes: (n: number) => void = () => undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    res.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      onBytes(chunk.length);
    });
    res.on('end', () => resolve(bytes));
    res.on('error', reject);
    res.on('aborted', () => reject(new Error('the server closed the connection mid-response')));
  });
}
