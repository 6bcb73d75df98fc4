import { createConversation } from './support/factories';
import { INBOUND_ENV, postWhatsapp, uniqueWaId, whatsappText } from './support/inbound-webhooks';
import { OutboundStack, startOutboundStack } from './support/outbound-stack';
import { PrivatePostgres } from './support/private-postgres';
import { waitFor } from './support/wait-for';

const RETRY_DELAYS_MS = [200, 400, 800];
const OUTAGE_MS = 6_000;
const ANSWER_WITHIN_MS = 5_000;

/** How long a request took, and what it answered. */
async function timed<T>(request: () => Promise<T>): Promise<[T, number]> {
  const started = Date.now();
  const response = await request();
  return [response, Date.now() - started];
}

describe('Postgres goes away (a private cluster the test stops and starts)', () => {
  let postgres: PrivatePostgres;
  let stack: OutboundStack;

  beforeAll(async () => {
    postgres = await PrivatePostgres.start('omnichannel_faults');
    stack = await startOutboundStack({
      DATABASE_URL: postgres.url,
      OUTBOUND_RETRY_DELAYS_MS: RETRY_DELAYS_MS.join(','),
      // Far above the stand-in's delay: a provider timeout would be a genuine reason to resend.
      OUTBOUND_HTTP_TIMEOUT_MS: '10000',
      WHATSAPP_APP_SECRET: INBOUND_ENV.WHATSAPP_APP_SECRET,
    });
  }, 60_000);
  beforeEach(async () => {
    // A failed test may have left it stopped; each test starts with Postgres up.
    await postgres.resume();
    stack.whatsapp.reset();
  });
  afterAll(async () => {
    await postgres?.resume();
    await stack?.stop();
    postgres?.destroySync();
  });

  /** Sends reaching the stand-in, per text body: each message says which it is. */
  function receivedPerBody(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const request of stack.whatsapp.requests) {
      const body = (request.json as { text: { body: string } }).text.body;
      counts.set(body, (counts.get(body) ?? 0) + 1);
    }
    return counts;
  }

  it('keeps 30 in-flight WhatsApp messages through an outage longer than every retry delay: all sent once, none failed', async () => {
    const conversation = await createConversation(stack.api, 'whatsapp');
    stack.whatsapp.setDelay(1_500);
    const messages = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        stack.send(conversation.id, 'whatsapp', { body: `in flight ${i}` }),
      ),
    );
    await waitFor(() => stack.whatsapp.requests.length >= 10, 'sends in flight at the provider');

    await postgres.stop();
    const down = Date.now();
    const [accept, acceptMs] = await timed(() =>
      stack.api.request('POST', '/api/messages', {
        conversation_id: conversation.id,
        direction: 'outbound',
        channel: 'whatsapp',
        body: 'during the outage',
      }),
    );
    const [webhook, webhookMs] = await timed(() =>
      postWhatsapp(stack.api, whatsappText({ from: uniqueWaId(), body: 'are you there?' })),
    );
    const [ready, readyMs] = await timed(() => stack.api.request('GET', '/health/ready'));
    expect(accept.status).toBe(503);
    expect(accept.body).toEqual({
      statusCode: 503,
      error: 'service_unavailable',
      message: expect.stringContaining('database'),
    });
    expect(accept.headers.get('retry-after')).toBe('5');
    expect(acceptMs).toBeLessThan(ANSWER_WITHIN_MS);
    expect(webhook.status).toBe(503);
    expect(webhook.body.error).toBe('service_unavailable');
    expect(webhookMs).toBeLessThan(ANSWER_WITHIN_MS);
    expect(ready.status).toBe(503);
    expect(ready.body.error.postgres.status).toBe('down');
    expect(readyMs).toBeLessThan(ANSWER_WITHIN_MS);

    // Down for far longer than all retry delays together: attempts would all be spent by now.
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS - (Date.now() - down)));
    const acceptedDuringOutage = stack.whatsapp.accepted.length;
    await postgres.resume();
    const up = Date.now();
    expect(up - down).toBeGreaterThan(RETRY_DELAYS_MS.reduce((sum, delay) => sum + delay));

    const sent = await Promise.all(
      messages.map((message) => stack.waitForStatus(message.id, ['sent', 'failed'], 60_000)),
    );
    const allSentMs = Date.now() - up;
    expect(sent.map((message) => message.status)).toEqual(Array(30).fill('sent'));
    const counts = receivedPerBody();
    expect(counts.size).toBe(30);
    expect([...counts.values()].every((count) => count === 1)).toBe(true);
    expect(new Set(sent.map((message) => message.provider_message_id))).toEqual(
      new Set(stack.whatsapp.messageIds),
    );
    expect(sent.every((message) => message.attempt_count === 1)).toBe(true);
    const [{ failed }] = await postgres.query(
      `SELECT count(*)::int AS failed FROM messages WHERE status IN ('failed', 'expired')`,
    );
    expect(failed).toBe(0);

    // Every process recovered by itself: the same API and worker serve new work.
    const readyAgain = await waitFor(async () => {
      const response = await stack.api.request('GET', '/health/ready');
      return response.status === 200 && response;
    }, '/health/ready to answer 200');
    expect(readyAgain.body.info.postgres.status).toBe('up');
    const inbound = await postWhatsapp(
      stack.api,
      whatsappText({ from: uniqueWaId(), body: 'back again' }),
    );
    expect(inbound.status).toBe(200);
    const after = await stack.send(conversation.id, 'whatsapp', { body: 'after the outage' });
    expect((await stack.waitForStatus(after.id, ['sent'], 30_000)).attempt_count).toBe(1);

    const worker = stack.workers[0].output();
    expect(worker).toContain('Postgres unavailable: outbound workers paused until it answers');
    expect(worker).toContain('Postgres answers again: outbound workers resumed');
    process.stdout.write(
      `Postgres outage: down ${up - down} ms; POST /api/messages 503 in ${acceptMs} ms, ` +
        `webhook 503 in ${webhookMs} ms, /health/ready 503 in ${readyMs} ms; ` +
        `${acceptedDuringOutage}/30 accepted by the provider during the outage; ` +
        `all 30 sent ${allSentMs} ms after the restart\n`,
    );
  }, 120_000);

  it('writes the outcome of a send the provider accepted while Postgres was down, without sending again', async () => {
    const conversation = await createConversation(stack.api, 'whatsapp');
    stack.whatsapp.setDelay(1_000);
    const message = await stack.send(conversation.id, 'whatsapp', {
      body: 'accepted, not written',
    });
    await waitFor(() => stack.whatsapp.requests.length === 1, 'the send to reach the provider');
    await postgres.stop();
    await stack.whatsapp.waitForAccepted(1);
    // Longer than every retry delay, so a write retried as a send would have been tried again.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await postgres.resume();

    const sent = await stack.waitForStatus(message.id, ['sent', 'failed'], 30_000);
    expect(sent.status).toBe('sent');
    expect(sent.provider_message_id).toBe(stack.whatsapp.messageIds[0]);
    expect(sent.attempt_count).toBe(1);
    expect(stack.whatsapp.requests).toHaveLength(1);
    const attempts = (await stack.api.request('GET', `/api/messages/${message.id}/attempts`)).body;
    expect(attempts.data).toEqual([
      expect.objectContaining({ attempt: 1, outcome: 'sent', http_status: 200 }),
    ]);
    expect(stack.workers[0].output()).toContain(
      'provider accepted the message but its outcome could not be written',
    );
  }, 60_000);
});
