import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { header, HttpStandIn, type RecordedRequest, type ScriptedResponse } from './http-stand-in';

export interface WebWebhookStandInOptions {
  /** `whsec_` + base64 key, as in WEB_WEBHOOK_SECRET. */
  secret: string;
}

/**
 * A customer endpoint receiving our Standard Webhooks (PROVIDERS.md §5). Any path is accepted, so
 * tests can give each endpoint its own `${url}/...` and read `path` back.
 */
export class WebWebhookStandIn extends HttpStandIn {
  private readonly webhook: Webhook;

  constructor(secret: string) {
    super('web webhook stand-in');
    this.webhook = new Webhook(secret);
  }

  protected check(request: RecordedRequest): ScriptedResponse | undefined {
    if (request.method !== 'POST') return rejection(405, `${request.method} is not accepted`);
    const headers = {
      'webhook-id': header(request, 'webhook-id') ?? '',
      'webhook-timestamp': header(request, 'webhook-timestamp') ?? '',
      'webhook-signature': header(request, 'webhook-signature') ?? '',
    };
    try {
      // Over the raw bytes: re-serialized JSON would not verify, exactly as for a real receiver.
      this.webhook.verify(request.rawBody, headers, { jsonParse: false });
    } catch (error) {
      return rejection(401, `signature verification failed: ${(error as Error).message}`);
    }
    // The id is the consumer's idempotency key and the spec forbids '.' in it.
    if (headers['webhook-id'].includes('.'))
      return rejection(400, "webhook-id must not contain '.'");
    if (request.json === undefined)
      return rejection(400, 'the body must be JSON (application/json)');
    return undefined;
  }

  protected succeed(): ScriptedResponse {
    return { status: 204 };
  }
}

export async function startWebWebhookStandIn({
  secret,
}: WebWebhookStandInOptions): Promise<WebWebhookStandIn> {
  const standIn = new WebWebhookStandIn(secret);
  await standIn.listen();
  return standIn;
}

export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

function rejection(status: number, error: string): ScriptedResponse {
  return { status, body: { error } };
}
