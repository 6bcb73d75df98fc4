import { randomBytes } from 'node:crypto';
import { whatsappSignature } from '../../test/support/inbound-webhooks';
import { db, deleteQueueKeys, PoolConversation, resetDatabase } from '../lib/data';
import { sleep } from '../lib/processes';
import { settings } from '../lib/settings';
import { startApi, startBareApi, StandIn } from '../lib/stack';
import { Comparison, JSON_HEADERS, pick, warmThenMeasure } from './http-load';

/**
 * Signed WhatsApp text-message notifications (the Cloud API's documented shape), each with a new
 * wamid; a share of them from numbers never seen before (a new customer and conversation), the
 * rest from the pool's customers (found by phone, their open conversation reused).
 */
export function webhookFactory(conversations: PoolConversation[]) {
  const run = randomBytes(4).toString('hex');
  let sequence = 0;
  let newSenders = 0;
  return () => {
    const from =
      Math.random() < settings.ingestNewShare
        ? `1628${String(newSenders++).padStart(7, '0')}`
        : pick(conversations).waId;
    const raw = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '102290129340398',
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: {
                  display_phone_number: '15550001111',
                  phone_number_id: settings.whatsapp.phoneNumberId,
                },
                contacts: [{ profile: { name: 'Kerry Fisher' }, wa_id: from }],
                messages: [
                  {
                    from,
                    id: `wamid.bench-${run}-${sequence++}`,
                    timestamp: String(Math.floor(Date.now() / 1000)),
                    type: 'text',
                    text: { body: 'Hello, is my order on its way?' },
                  },
                ],
              },
            },
          ],
        },
      ],
    });
    return { raw, signature: whatsappSignature(raw, settings.whatsapp.appSecret) };
  };
}

/** The next webhook as the product's endpoint receives it, signed. */
export function webhookRequest(webhook: ReturnType<typeof webhookFactory>) {
  const { raw, signature } = webhook();
  return {
    path: '/api/webhooks/whatsapp',
    body: raw,
    headers: { 'x-hub-signature-256': signature },
  };
}

/** 4. POST /api/webhooks/whatsapp through the real API, against the bare pipeline. */
export async function runIngest(standIn: StandIn): Promise<Comparison & { failedEvents: number }> {
  let conversations = await resetDatabase(settings.poolSize);
  const bare = await startBareApi();
  let webhook = webhookFactory(conversations);
  const bareResult = await warmThenMeasure({
    url: bare.url,
    connections: settings.connections,
    headers: JSON_HEADERS,
    next: () => ({ path: '/bare/messages', body: webhook().raw }),
  });
  await bare.child.stop();

  conversations = await resetDatabase(settings.poolSize);
  await deleteQueueKeys();
  const api = await startApi(standIn);
  webhook = webhookFactory(conversations);
  const product = await warmThenMeasure(
    {
      url: api.url,
      connections: settings.connections,
      headers: JSON_HEADERS,
      next: () => webhookRequest(webhook),
    },
    settings.durationS,
    [api.child],
  );
  // autocannon stops without waiting for its last requests: let them finish before stopping.
  await sleep(2_000);
  await api.child.stop();
  // A webhook answers 200 even when processing failed (the raw event is kept for replay).
  const { rows } = await db().query<{ failed: string }>(
    `SELECT count(*) FILTER (WHERE status = 'failed') AS failed FROM inbound_events`,
  );
  return {
    bare: bareResult,
    product,
    ratio: product.rps / bareResult.rps,
    failedEvents: Number(rows[0].failed),
  };
}
