import { sql } from './support/db';
import { createConversation } from './support/factories';
import { OutboundStack, startOutboundStack } from './support/outbound-stack';
import { Redis } from 'ioredis';
import { senderPauseKey } from '../src/modules/delivery/sender-gate';
import { ENVIRONMENT_SENDER_IDS } from '../src/shared/environment-senders';
import { graphError } from './stand-ins/whatsapp-stand-in';

describe('Outbound policy: priority, rate limits, throttling, WhatsApp window, expiry', () => {
  let stack: OutboundStack;

  beforeAll(async () => {
    stack = await startOutboundStack(
      { WHATSAPP_REPLY_WINDOW_HOURS: '24', SMS_RATE_LIMIT_PER_SECOND: '4' },
      { worker: false },
    );
  });
  beforeEach(() => {
    stack.whatsapp.reset();
    stack.twilio.reset();
    stack.web.reset();
  });
  afterEach(async () => {
    await Promise.all(stack.workers.splice(0).map((worker) => worker.stop()));
  });
  afterAll(() => stack.stop());

  it('sends a high-priority message ahead of a backlog, and low after it', async () => {
    const conversation = await createConversation(stack.api, 'sms');
    for (let i = 0; i < 6; i++) await stack.send(conversation.id, 'sms', { body: `normal ${i}` });
    await stack.send(conversation.id, 'sms', { body: 'low', priority: 'low' });
    await stack.send(conversation.id, 'sms', { body: 'high', priority: 'high' });

    await stack.startWorker({ OUTBOUND_CONCURRENCY: '1' });
    const requests = await stack.twilio.waitForAccepted(8, 20_000);
    const order = requests.map((request) => request.form?.Body);
    process.stdout.write(`priority: provider saw ${order.join(', ')}\n`);
    expect(order[0]).toBe('high');
    expect(order[7]).toBe('low');
    expect(order.slice(1, 7)).toEqual([0, 1, 2, 3, 4, 5].map((i) => `normal ${i}`));
  });

  it('holds the per-channel rate limit across two worker processes', async () => {
    const conversation = await createConversation(stack.api, 'sms');
    for (let i = 0; i < 12; i++) await stack.send(conversation.id, 'sms', { body: `burst ${i}` });
    await Promise.all([stack.startWorker(), stack.startWorker()]);

    const requests = await stack.twilio.waitForAccepted(12, 20_000);
    const times = requests.map((request) => request.receivedAt);
    const offsets = times.map((t) => t - times[0]);
    process.stdout.write(
      `rate limit 4/s over two workers: provider request offsets ${offsets.join(',')} ms\n`,
    );
    // Windows of one second hold at most four sends, so any five consecutive sends straddle a
    // window boundary. The margin absorbs the time a window's first job spends before its request
    // reaches the stand-in on a loaded machine; unlimited, all twelve arrive within ~50 ms.
    for (let i = 0; i + 4 < times.length; i++) {
      expect(times[i + 4] - times[i]).toBeGreaterThanOrEqual(500);
    }
    expect(offsets[11]).toBeGreaterThanOrEqual(1500);
  });

  it('does not spend a message’s retries on provider throttling', async () => {
    await stack.startWorker();
    const conversation = await openWhatsappWindow();
    // Four throttles in a row: more than the message's 1 + 3 tries, yet it is sent.
    stack.whatsapp.failNext(4, graphError(130429, 'Rate limit hit', 400));
    const message = await stack.send(conversation.id, 'whatsapp');

    const sent = await stack.waitForStatus(message.id, ['sent'], 30_000);
    expect(sent.attempt_count).toBe(5);
    const requests = stack.whatsapp.requests;
    for (let i = 1; i < requests.length; i++) {
      expect(requests[i].receivedAt - requests[i - 1].receivedAt).toBeGreaterThanOrEqual(950);
    }
  });

  it('pauses the whole sender, not only the throttled message', async () => {
    await stack.startWorker();
    const conversation = await openWhatsappWindow();
    stack.whatsapp.failNext(1, graphError(130429, 'Rate limit hit', 400));
    const throttled = await stack.send(conversation.id, 'whatsapp', { body: 'first' });
    // Once the throttle is recorded the pause is set; on a loaded box a send in between could
    // still slip through.
    await stack.waitForStatus(throttled.id, ['retrying']);
    const other = await stack.send(conversation.id, 'whatsapp', { body: 'second' });

    await stack.waitForStatus(throttled.id, ['sent']);
    await stack.waitForStatus(other.id, ['sent']);
    const [throttle, ...rest] = stack.whatsapp.requests;
    for (const request of rest) {
      expect(request.receivedAt - throttle.receivedAt).toBeGreaterThanOrEqual(950);
    }
    expect(rest.map((r) => (r.json as any).text.body).sort()).toEqual(['first', 'second']);
  });

  it('delays only the message whose recipient is throttled (WhatsApp 131056), not the channel', async () => {
    await stack.startWorker();
    const [busy, other] = [await openWhatsappWindow(), await openWhatsappWindow()];
    stack.whatsapp.enqueue({
      ...graphError(131056, '(Business Account, Consumer Account) pair rate limit hit', 400),
      headers: { 'retry-after': '10' },
    });
    const throttled = await stack.send(busy.id, 'whatsapp', { body: 'first' });
    const waiting = await stack.waitForStatus(throttled.id, ['retrying']);
    const unaffected = await stack.send(other.id, 'whatsapp', { body: 'second' });

    await stack.waitForStatus(unaffected.id, ['sent']);
    await stack.waitForStatus(throttled.id, ['sent'], 30_000);
    const [throttle, ...rest] = stack.whatsapp.requests;
    const after = (body: string) =>
      rest.find((r) => (r.json as any).text.body === body)!.receivedAt - throttle.receivedAt;
    process.stdout.write(
      `131056: other recipient sent ${after('second')} ms after the throttle, ` +
        `throttled one re-sent after ${after('first')} ms\n`,
    );
    expect(Date.parse(waiting.next_attempt_at) - throttle.receivedAt).toBeGreaterThanOrEqual(9_900);
    // A channel pause would have held the other recipient's message for the whole 10 s.
    expect(after('second')).toBeLessThan(9_000);
    expect(after('second')).toBeLessThan(after('first'));
    expect(after('first')).toBeGreaterThanOrEqual(9_900);
    expect(rest).toHaveLength(2);
  });

  it('honours a channel-wide Retry-After only up to 15 minutes', async () => {
    await stack.startWorker();
    const conversation = await createConversation(stack.api, 'web');
    stack.web.enqueue({ status: 429, headers: { 'retry-after': '86400' } });
    const message = await stack.send(conversation.id, 'web');

    const retrying = await stack.waitForStatus(message.id, ['retrying']);
    const waitMs = Date.parse(retrying.next_attempt_at) - stack.web.requests[0].receivedAt;
    const redis = new Redis(stack.env.REDIS_URL);
    const pauseMs = await redis.pttl(
      senderPauseKey(stack.env.QUEUE_PREFIX, ENVIRONMENT_SENDER_IDS.web),
    );
    await redis.quit();
    process.stdout.write(
      `Retry-After 86400: next try in ${waitMs} ms, sender paused ${pauseMs} ms\n`,
    );
    expect(waitMs).toBeGreaterThan(14 * 60_000);
    expect(waitMs).toBeLessThanOrEqual(15 * 60_000 + 1_000);
    expect(pauseMs).toBeGreaterThan(14 * 60_000);
    expect(pauseMs).toBeLessThanOrEqual(15 * 60_000);
  });

  /** A WhatsApp conversation whose customer just wrote, so free text may be sent. */
  const openWhatsappWindow = async () => {
    const conversation = await createConversation(stack.api, 'whatsapp');
    const inbound = await stack.api.request('POST', '/api/messages', {
      conversation_id: conversation.id,
      direction: 'inbound',
      channel: 'whatsapp',
      body: 'hi',
    });
    expect(inbound.status).toBe(201);
    return conversation;
  };

  describe('the WhatsApp customer-service window', () => {
    it('sends free text inside the window', async () => {
      await stack.startWorker();
      const conversation = await openWhatsappWindow();
      const reply = await stack.send(conversation.id, 'whatsapp', { body: 'No, it arrives today' });
      await stack.waitForStatus(reply.id, ['sent']);
    });

    it('refuses free text with 422 whatsapp_window_closed when the customer last wrote over 24 h ago, queuing nothing', async () => {
      const conversation = await createConversation(stack.api, 'whatsapp');
      const never = await stack.api.request('POST', '/api/messages', {
        conversation_id: conversation.id,
        direction: 'outbound',
        channel: 'whatsapp',
        body: 'Hello?',
      });
      expect(never.status).toBe(422);
      expect(never.body).toMatchObject({ statusCode: 422, error: 'whatsapp_window_closed' });

      const inbound = await stack.api.request('POST', '/api/messages', {
        conversation_id: conversation.id,
        direction: 'inbound',
        channel: 'whatsapp',
        body: 'old message',
      });
      await sql(`UPDATE messages SET created_at = now() - interval '25 hours' WHERE id = $1`, [
        inbound.body.id,
      ]);
      const stale = await stack.api.request('POST', '/api/messages', {
        conversation_id: conversation.id,
        direction: 'outbound',
        channel: 'whatsapp',
        body: 'Hello?',
      });
      expect(stale.status).toBe(422);
      expect(stale.body.message).toContain('more than 24 h ago');
      const rows = await sql(
        `SELECT id FROM messages WHERE conversation_id = $1 AND direction = 'outbound'`,
        [conversation.id],
      );
      expect(rows).toHaveLength(0);
    });

    it('sends a template outside the window', async () => {
      await stack.startWorker();
      const conversation = await createConversation(stack.api, 'whatsapp');
      const message = await stack.send(conversation.id, 'whatsapp', {
        body: undefined,
        template: { name: 'order_update', language: 'en_US' },
      });
      await stack.waitForStatus(message.id, ['sent']);
      const [request] = await stack.whatsapp.waitForAccepted(1);
      expect(request.json).toMatchObject({ type: 'template', template: { name: 'order_update' } });
    });
  });

  it('marks email "sent" by the development log mailer as such, and sends nothing over SMTP', async () => {
    await stack.startWorker({ MAIL_MAILER: 'log' });
    const conversation = await createConversation(stack.api, 'email');
    const message = await stack.send(conversation.id, 'email', { body: 'Receipt attached' });
    const sent = await stack.waitForStatus(message.id, ['sent']);
    expect(sent.metadata).toEqual({ delivery_driver: 'log' });
    expect(stack.workers[0].output()).toContain('MAIL_MAILER=log: email not sent, only logged');
    expect(stack.smtp.messages).toHaveLength(0);
  });

  it('expires a message not sent within validity_seconds instead of sending it late', async () => {
    const conversation = await createConversation(stack.api, 'sms');
    const message = await stack.send(conversation.id, 'sms', {
      body: 'Your code is 1234',
      validity_seconds: 1,
    });
    expect(message.expires_at).not.toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 1_300));

    await stack.startWorker();
    const expired = await stack.waitForStatus(message.id, ['expired']);
    expect(expired.last_error).toContain('validity_seconds passed');
    expect(expired.sent_at).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(stack.twilio.requests).toHaveLength(0);

    const retried = await stack.api.request('POST', `/api/messages/${message.id}/retry`);
    expect(retried.status).toBe(202);
    await stack.waitForStatus(message.id, ['sent']);
  });
});
