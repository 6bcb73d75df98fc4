import * as http from 'node:http';
import * as https from 'node:https';
import type { LookupFunction } from 'node:net';
import { parseRetryAfter } from '../../providers/provider-http';
import type { PinnedAddress } from './webhook-address.guard';

/** What an attempt keeps of the answer. */
export const RESPONSE_BODY_LIMIT = 4096;

export interface WebhookRequest {
  url: URL;
  address: PinnedAddress;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

export interface WebhookResponse {
  /** Absent when no HTTP answer came (refused, reset, timeout). */
  status?: number;
  body?: string;
  retryAfterMs?: number;
  error?: string;
  durationMs: number;
}

const agentOptions = { keepAlive: true, timeout: 30_000, maxSockets: 256 };

/**
 * POSTs one webhook to an already checked address. The connection goes to `address` whatever DNS
 * says now (the lookup is pinned), while the Host header and TLS name stay the URL's host.
 * Redirects are answers like any other: never followed.
 */
export class WebhookHttpSender {
  private readonly httpAgent = new http.Agent(agentOptions);
  private readonly httpsAgent = new https.Agent(agentOptions);

  send(request: WebhookRequest): Promise<WebhookResponse> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const { address, family } = request.address;
    const pinned: LookupFunction = (_hostname, options, callback) => {
      if (options.all) callback(null, [{ address, family }]);
      else callback(null, address, family);
    };
    const secure = request.url.protocol === 'https:';
    return new Promise((resolve) => {
      let settled = false;
      const finish = (outcome: Omit<WebhookResponse, 'durationMs'>) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ ...outcome, durationMs: elapsed() });
      };
      const req = (secure ? https : http).request(
        request.url,
        {
          method: 'POST',
          agent: secure ? this.httpsAgent : this.httpAgent,
          lookup: pinned,
          headers: {
            ...request.headers,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(request.body),
            'user-agent': 'omnichannel-webhooks/1',
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let kept = 0;
          res.on('data', (chunk: Buffer) => {
            if (kept < RESPONSE_BODY_LIMIT) {
              chunks.push(chunk);
              kept += chunk.length;
            }
          });
          res.on('end', () =>
            finish({
              status: res.statusCode,
              body: Buffer.concat(chunks).subarray(0, RESPONSE_BODY_LIMIT).toString('utf8'),
              retryAfterMs: parseRetryAfter(res.headers['retry-after']),
            }),
          );
          res.on('error', (error) => finish({ status: res.statusCode, error: error.message }));
        },
      );
      const timer = setTimeout(() => {
        finish({ error: `no complete answer within ${request.timeoutMs} ms` });
        req.destroy();
      }, request.timeoutMs);
      req.on('error', (error: NodeJS.ErrnoException) =>
        finish({ error: `request failed: ${error.code ?? ''} ${error.message}`.trim() }),
      );
      req.end(request.body);
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
