import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** Webhook settings of the e2e tests: loopback allowed, retries and polls in milliseconds. */
export const WEBHOOK_TEST_ENV = {
  EVENT_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
  EVENT_WEBHOOK_RETRY_DELAYS_MS: '300,300,300',
  EVENT_WEBHOOK_TIMEOUT_MS: '2000',
  EVENT_WEBHOOK_POLL_INTERVAL_MS: '50',
};

export interface ReceivedWebhook {
  headers: http.IncomingHttpHeaders;
  raw: string;
  body: any;
  receivedAt: number;
}

/** How the receiver answers one request; `index` counts requests from 0. */
export type WebhookReply = (
  res: http.ServerResponse,
  received: ReceivedWebhook,
  index: number,
) => void;

export const answer =
  (status: number, headers: Record<string, string> = {}, body = ''): WebhookReply =>
  (res) =>
    res.writeHead(status, headers).end(body);

export interface WebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  /** Requests being answered right now. */
  inFlight(): number;
  maxInFlight(): number;
  reply(next: WebhookReply): void;
  /** Distinct webhook-ids received. */
  distinctIds(): Set<string>;
  verify(secret: string, webhook: ReceivedWebhook): unknown;
  close(): Promise<void>;
}

/** A client system's endpoint: a real HTTP server on loopback, recording what it receives. */
export async function startWebhookReceiver(
  reply: WebhookReply = answer(204),
): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  let current = reply;
  let inFlight = 0;
  let maxInFlight = 0;
  const server = http.createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on('close', () => inFlight--);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const webhook = { headers: req.headers, raw, body: JSON.parse(raw), receivedAt: Date.now() };
      received.push(webhook);
      current(res, webhook, received.length - 1);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    inFlight: () => inFlight,
    maxInFlight: () => maxInFlight,
    reply: (next) => {
      current = next;
    },
    distinctIds: () => new Set(received.map((webhook) => String(webhook.headers['webhook-id']))),
    verify: (secret, webhook) =>
      new Webhook(secret).verify(webhook.raw, webhook.headers as Record<string, string>),
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
