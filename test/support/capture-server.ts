import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CapturedRequest {
  method?: string;
  url?: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The client's port, so a test can tell whether requests shared one kept-alive connection. */
  remotePort?: number;
}

/** Answers a captured request; it gets the request too, so one reply can route on the URL. */
export type Reply = (res: http.ServerResponse, req: http.IncomingMessage) => void;

export const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): Reply =>
  (res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

export const status =
  (code: number, headers: Record<string, string> = {}): Reply =>
  (res) =>
    res.writeHead(code, headers).end();

/** Never answers, for timeout tests; afterAll drops the open connection. */
export const hang: Reply = () => undefined;

export interface CaptureServer {
  /** `http://127.0.0.1:<port>`; only known once beforeAll has run, hence a function. */
  baseUrl(): string;
  /** Requests received during the current test, in arrival order. */
  readonly requests: readonly CapturedRequest[];
  /** Sets the answer for the rest of the current test. */
  reply(next: Reply): void;
}

/**
 * Registers Jest hooks in the enclosing describe: one local server for the block, with the
 * captured requests cleared and the reply reset to `defaultReply` before each test.
 * The handle's members don't rely on `this`, so it can be destructured.
 */
export function useCaptureServer(defaultReply: Reply): CaptureServer {
  let server: http.Server | undefined;
  let baseUrl: string | undefined;
  // Cleared in place rather than replaced, so a destructured `requests` stays current.
  const requests: CapturedRequest[] = [];
  let current = defaultReply;

  beforeAll(async () => {
    const listening = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        requests.push({
          method: req.method,
          url: req.url,
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          remotePort: req.socket.remotePort,
        });
        current(res, req);
      });
    });
    await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
    server = listening;
    baseUrl = `http://127.0.0.1:${(listening.address() as AddressInfo).port}`;
  });

  beforeEach(() => {
    requests.length = 0;
    current = defaultReply;
  });

  afterAll(async () => {
    if (!server) return;
    const closing = server;
    server = undefined;
    closing.closeAllConnections();
    await new Promise((resolve) => closing.close(resolve));
  });

  return {
    baseUrl: () => {
      if (baseUrl === undefined) throw new Error('capture server is not listening yet');
      return baseUrl;
    },
    requests,
    reply: (next) => {
      current = next;
    },
  };
}
