import { sql } from './support/db';
import { createConversation } from './support/factories';
import { OutboundStack, startOutboundStack } from './support/outbound-stack';
import { graphError } from './stand-ins/whatsapp-stand-in';
import { twilioError } from './stand-ins/twilio-stand-in';

const DELAYS = [200, 400, 800];

/** Gaps between consecutive requests the stand-in received, in ms. */
const gaps = (times: number[]) => times.slice(1).map((time, i) => time - times[i]);

describe('Outbound retries and dead letters (real worker, provider stand-ins)', () => {
  let stack: OutboundStack;

  beforeAll(async () => {
    stack = await startOutboundStack({
      OUTBOUND_RETRY_DELAYS_MS: DELAYS.join(','),
      OUTBOUND_HTTP_TIMEOUT_MS: '1000',
      // No web channel here: its messages must fail with a clear reason.
      WEB_WEBHOOK_URL: undefined,
      WEB_WEBHOOK_SECRET: undefined,
    });
  });
  beforeEach(() => {
    stack.whatsapp.reset();
    stack.twilio.reset();
  });
  afterAll(() => stack.stop());

  const attemptsOf = async (id: string) =>
    (await stack.api.request('GET', `/api/messages/${id}/attempts`)).body.data;

  it('retries transient errors after the configured delays, then sends', async () => {
    const conversation = await createConversation(stack.api, 'whatsapp');
    stack.whatsapp.failNext(2, graphError(131000, 'Something went wrong', 500));
    const message = await stack.send(conversation.id, 'whatsapp');

    const sent = await stack.waitForStatus(message.id, ['sent']);
    expect(sent.attempt_count).toBe(3);
    expect(sent.last_error).toBeNull();
    const attempts = await attemptsOf(message.id);
    expect(attempts.map((a: any) => [a.attempt, a.outcome, a.http_status])).toEqual([
      [1, 'transient_error', 500],
      [2, 'transient_error', 500],
      [3, 'sent', 200],
    ]);
    expect(attempts[0].error).toContain('131000');
    const spacing = gaps(stack.whatsapp.requests.map((r) => r.receivedAt));
    expect(spacing[0]).toBeGreaterThanOrEqual(DELAYS[0]);
    expect(spacing[1]).toBeGreaterThanOrEqual(DELAYS[1]);
  });

  it('fails after exactly 1 + retries attempts when every try is transient, spaced by the delays', async () => {
    const conversation = await createConversation(stack.api, 'whatsapp');
    stack.whatsapp.failNext(10, graphError(131016, 'Service unavailable', 503));
    const message = await stack.send(conversation.id, 'whatsapp');

    const failed = await stack.waitForStatus(message.id, ['failed']);
    expect(failed.attempt_count).toBe(DELAYS.length + 1);
    expect(failed.last_error).toMatch(/^gave up after 4 tries: whatsapp error 131016/);
    expect(failed.failed_at).not.toBeNull();
    // No fifth request arrives later.
    await new Promise((resolve) => setTimeout(resolve, DELAYS[2] + 300));
    expect(stack.whatsapp.requests).toHaveLength(DELAYS.length + 1);
    const spacing = gaps(stack.whatsapp.requests.map((r) => r.receivedAt));
    spacing.forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual(DELAYS[i]));
    const attempts = await attemptsOf(message.id);
    expect(attempts.map((a: any) => a.outcome)).toEqual(Array(4).fill('transient_error'));
    process.stdout.write(
      `retry policy run: delays ${DELAYS.join('/')} ms → ${attempts.length} attempts, ` +
        `gaps between provider requests ${spacing.join('/')} ms, final: ${failed.last_error}\n`,
    );

    const deadLetters = await stack.api.request(
      'GET',
      `/api/messages?status=failed&conversation_id=${conversation.id}`,
    );
    expect(deadLetters.body.data.map((m: any) => m.id)).toEqual([message.id]);
  });

  it('fails a permanent error after one attempt', async () => {
    const conversation = await createConversation(stack.api, 'whatsapp');
    stack.whatsapp.failNext(
      1,
      graphError(131026, 'Message undeliverable', 400, 'Receiver is not a WhatsApp user'),
    );
    const message = await stack.send(conversation.id, 'whatsapp');

    const failed = await stack.waitForStatus(message.id, ['failed']);
    expect(failed.attempt_count).toBe(1);
    expect(failed.last_error).toContain('131026');
    await new Promise((resolve) => setTimeout(resolve, DELAYS[0] + 300));
    expect(stack.whatsapp.requests).toHaveLength(1);
    expect((await attemptsOf(message.id)).map((a: any) => a.outcome)).toEqual(['permanent_error']);
  });

  it('waits at least the Retry-After of a 429 before trying again', async () => {
    const conversation = await createConversation(stack.api, 'sms');
    stack.twilio.failNext(1, twilioError(20429, 'Too Many Requests', 429, { 'retry-after': '1' }));
    const message = await stack.send(conversation.id, 'sms');

    const sent = await stack.waitForStatus(message.id, ['sent']);
    const [first, second] = stack.twilio.requests.map((r) => r.receivedAt);
    expect(second - first).toBeGreaterThanOrEqual(1000);
    expect(sent.attempt_count).toBe(2);
    const attempts = await attemptsOf(message.id);
    expect(attempts.map((a: any) => [a.outcome, a.http_status])).toEqual([
      ['transient_error', 429],
      ['sent', 201],
    ]);
  });

  it('treats a provider that does not answer in OUTBOUND_HTTP_TIMEOUT_MS as transient', async () => {
    const conversation = await createConversation(stack.api, 'whatsapp');
    stack.whatsapp.enqueue({ status: 200, hang: true });
    const message = await stack.send(conversation.id, 'whatsapp');

    const sent = await stack.waitForStatus(message.id, ['sent']);
    const attempts = await attemptsOf(message.id);
    expect(attempts.map((a: any) => a.outcome)).toEqual(['transient_error', 'sent']);
    expect(attempts[0].error).toMatch(/timed out after 1000 ms/);
    expect(attempts[0].duration_ms).toBeGreaterThanOrEqual(1000);
    expect(sent.provider_message_id).toMatch(/^wamid\./);
  });

  it('re-sends a dead letter on POST /retry with a fresh round, keeping the history', async () => {
    const conversation = await createConversation(stack.api, 'whatsapp');
    stack.whatsapp.failNext(1, graphError(131008, 'Required parameter is missing', 400));
    const message = await stack.send(conversation.id, 'whatsapp');
    await stack.waitForStatus(message.id, ['failed']);

    const retried = await stack.api.request('POST', `/api/messages/${message.id}/retry`);
    expect(retried.status).toBe(202);
    expect(retried.body.status).toBe('queued');
    const sent = await stack.waitForStatus(message.id, ['sent']);
    expect(sent.attempt_count).toBe(2);
    expect(sent.failed_at).toBeNull();
    const attempts = await attemptsOf(message.id);
    expect(attempts.map((a: any) => [a.attempt, a.outcome])).toEqual([
      [1, 'permanent_error'],
      [2, 'sent'],
    ]);

    const again = await stack.api.request('POST', `/api/messages/${message.id}/retry`);
    expect(again.status).toBe(409);
    expect(again.body.message).toContain('only failed or expired outbound messages');
  });

  it('answers 409 to /retry for inbound and still-pending messages', async () => {
    const conversation = await createConversation(stack.api, 'sms');
    const inbound = await stack.api.request('POST', '/api/messages', {
      conversation_id: conversation.id,
      direction: 'inbound',
      channel: 'sms',
      body: 'hi',
    });
    expect((await stack.api.request('POST', `/api/messages/${inbound.body.id}/retry`)).status).toBe(
      409,
    );
    const unknown = await stack.api.request(
      'POST',
      '/api/messages/0190b1d2-0000-7000-8000-000000000000/retry',
    );
    expect(unknown.status).toBe(404);
  });

  it('fails messages of a channel with no configuration, saying so', async () => {
    const conversation = await createConversation(stack.api, 'web');
    const message = await stack.send(conversation.id, 'web');
    const failed = await stack.waitForStatus(message.id, ['failed']);
    expect(failed.last_error).toBe('channel web is not configured');
    const [attempt] = await sql(
      'SELECT outcome, error FROM message_attempts WHERE message_id = $1',
      [message.id],
    );
    expect(attempt).toEqual({ outcome: 'permanent_error', error: 'channel web is not configured' });
  });
});
