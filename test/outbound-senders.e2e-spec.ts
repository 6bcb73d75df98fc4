import { randomBytes } from 'node:crypto';
import { createConversation } from './support/factories';
import { metricValue, scrape } from './support/metrics';
import { OutboundStack, startOutboundStack } from './support/outbound-stack';
import { waitFor } from './support/wait-for';
import { SmtpStandIn, startSmtpStandIn } from './stand-ins/smtp-stand-in';
import { startTwilioStandIn, TwilioStandIn, twilioError } from './stand-ins/twilio-stand-in';
import {
  newWebhookSecret,
  startWebWebhookStandIn,
  WebWebhookStandIn,
} from './stand-ins/web-webhook-stand-in';
import { pathnameOf } from './stand-ins/http-stand-in';
import { startWhatsappStandIn, WhatsappStandIn } from './stand-ins/whatsapp-stand-in';

/** One port of the range this file may use: the worker's own /metrics. */
const WORKER_METRICS_PORT = 41_501;

const accountSid = () => `AC${randomBytes(16).toString('hex')}`;

/**
 * Several senders per channel, each with its own provider stand-in holding only that sender's
 * credentials: a request the stand-in accepts came over that sender's path and credentials.
 */
describe('Outbound per sender: credentials, rate limits, pauses, health', () => {
  let stack: OutboundStack;
  const whatsapp: { standIn: WhatsappStandIn; sender: any }[] = [];
  const twilio: { standIn: TwilioStandIn; sender: any }[] = [];
  const smtp: { standIn: SmtpStandIn; sender: any }[] = [];
  const web: { standIn: WebWebhookStandIn; sender: any }[] = [];
  const standIns = () => [...whatsapp, ...twilio, ...smtp, ...web].map(({ standIn }) => standIn);

  const createSender = async (channel: string, name: string, config: object, extra = {}) => {
    const response = await stack.api.request('POST', '/api/senders', {
      channel,
      name,
      config,
      ...extra,
    });
    if (response.status !== 201) throw new Error(`sender not created: ${response.text}`);
    return response.body;
  };
  const getSender = async (id: string) =>
    (await stack.api.request('GET', `/api/senders/${id}`)).body;

  beforeAll(async () => {
    stack = await startOutboundStack({}, { worker: false });
    for (const [i, phoneNumberId] of ['111111111', '222222222'].entries()) {
      const accessToken = `wa-token-${i}-${randomBytes(4).toString('hex')}`;
      const standIn = await startWhatsappStandIn({ accessToken, phoneNumberId });
      const sender = await createSender('whatsapp', `WhatsApp ${i}`, {
        phone_number_id: phoneNumberId,
        access_token: accessToken,
        app_secret: `app-secret-${i}`,
        graph_api_url: `${standIn.url}/v23.0`,
      });
      whatsapp.push({ standIn, sender });
    }
    for (const i of [0, 1]) {
      const [sid, authToken] = [accountSid(), `twilio-token-${i}`];
      const standIn = await startTwilioStandIn({ accountSid: sid, authToken });
      const sender = await createSender('sms', `Twilio ${i}`, {
        account_sid: sid,
        auth_token: authToken,
        from: `+1500555000${i}`,
        api_url: standIn.url,
      });
      twilio.push({ standIn, sender });
    }
    for (const i of [0, 1]) {
      const auth = { user: `mailbox-${i}`, pass: `smtp-password-${i}` };
      const standIn = await startSmtpStandIn({ auth });
      const sender = await createSender('email', `Mailbox ${i}`, {
        from_address: `mailbox-${i}@shop.example.com`,
        host: standIn.host,
        port: standIn.port,
        username: auth.user,
        password: auth.pass,
        encryption: 'none',
      });
      smtp.push({ standIn, sender });
    }
    for (const i of [0, 1]) {
      const secret = newWebhookSecret();
      const standIn = await startWebWebhookStandIn({ secret });
      const sender = await createSender('web', `Web ${i}`, {
        url: `${standIn.url}/hooks/${i}`,
        secret,
      });
      web.push({ standIn, sender });
    }
  });
  beforeEach(() => standIns().forEach((standIn) => standIn.reset()));
  afterEach(async () => {
    await Promise.all(stack.workers.splice(0).map((worker) => worker.stop()));
  });
  afterAll(async () => {
    await Promise.all(standIns().map((standIn) => standIn.close()));
    await stack.stop();
  });

  it('sends each message through its conversation’s sender, with that sender’s credentials', async () => {
    await stack.startWorker({ WORKER_METRICS_PORT: String(WORKER_METRICS_PORT) });
    const channels = { whatsapp, sms: twilio, email: smtp, web };
    const sent: { channel: string; index: number; message: any }[] = [];
    for (const [channel, senders] of Object.entries(channels)) {
      for (const [index, { sender }] of senders.entries()) {
        const conversation = await createConversation(stack.api, channel, { sender_id: sender.id });
        expect(conversation.sender_id).toBe(sender.id);
        const message = await stack.send(conversation.id, channel, {
          body: `${channel} via sender ${index}`,
          ...(channel === 'email' && { subject: `sender ${index}` }),
        });
        sent.push({ channel, index, message });
      }
    }
    for (const { message } of sent) await stack.waitForStatus(message.id, ['sent']);

    for (const [index, { standIn }] of whatsapp.entries()) {
      expect(standIn.accepted.map((r) => (r.json as any).text.body)).toEqual([
        `whatsapp via sender ${index}`,
      ]);
    }
    for (const [index, { standIn, sender }] of twilio.entries()) {
      expect(standIn.accepted.map((r) => [r.form?.Body, r.form?.From])).toEqual([
        [`sms via sender ${index}`, sender.config.from],
      ]);
    }
    for (const [index, { standIn, sender }] of smtp.entries()) {
      const [mail] = await standIn.waitForMessages(1);
      expect([mail.user, mail.envelope.from, mail.parsed.text?.trim()]).toEqual([
        `mailbox-${index}`,
        sender.config.from_address,
        `email via sender ${index}`,
      ]);
    }
    for (const [index, { standIn }] of web.entries()) {
      expect(standIn.accepted).toHaveLength(1);
      expect(pathnameOf(standIn.accepted[0])).toBe(`/hooks/${index}`);
    }

    // Health is written at most once a second per sender.
    for (const { sender } of [...whatsapp, ...twilio, ...smtp, ...web]) {
      const shown = await waitFor(async () => {
        const current = await getSender(sender.id);
        return current.last_success_at && current;
      }, `last_success_at of ${sender.name}`);
      expect(shown.last_error).toBeNull();
    }
    const metrics = await scrape(`http://127.0.0.1:${WORKER_METRICS_PORT}/metrics`);
    for (const { sender } of whatsapp) {
      expect(
        metricValue(metrics, 'delivery_attempts_total', { sender: sender.id, outcome: 'sent' }),
      ).toBe(1);
      expect(metricValue(metrics, 'messages_total', { sender: sender.id, status: 'sent' })).toBe(1);
    }
  });

  it('holds each sender to its own rate: 100/s drains long before 5/s', async () => {
    const [slow, fast] = await Promise.all(
      [5, 100].map(async (rate, i) => {
        const { standIn, sender } = whatsapp[i];
        const patched = await stack.api.request('PATCH', `/api/senders/${sender.id}`, {
          rate_limit_per_second: rate,
        });
        expect(patched.status).toBe(200);
        return { standIn, sender };
      }),
    );
    for (const { sender } of [slow, fast]) {
      const conversation = await createConversation(stack.api, 'whatsapp', {
        sender_id: sender.id,
      });
      for (let i = 0; i < 30; i++) await stack.send(conversation.id, 'whatsapp', { body: `m${i}` });
    }
    await stack.startWorker();
    await Promise.all([slow.standIn.waitForAccepted(30, 30_000), fast.standIn.waitForAccepted(30)]);
    const times = (standIn: WhatsappStandIn) => standIn.accepted.map((r) => r.receivedAt);
    const [slowTimes, fastTimes] = [times(slow.standIn), times(fast.standIn)];
    const slowSpan = slowTimes[29] - slowTimes[0];
    const firstSend = Math.min(slowTimes[0], fastTimes[0]);
    process.stdout.write(
      `per-sender rates: the 100/s sender's 30 sends done ${fastTimes[29] - firstSend} ms after ` +
        `the first send, the 5/s sender's ${slowTimes[29] - firstSend} ms (` +
        `${Math.round(slowSpan / 29)} ms apart on average)\n`,
    );
    // 30 at 5/s need about 5.8 s; unlimited they take well under one.
    expect(slowSpan).toBeGreaterThanOrEqual(4_500);
    expect(slowSpan / 29).toBeGreaterThanOrEqual(150);
    expect(fastTimes[29]).toBeLessThan(slowTimes[29] - 2_000);
    // No second of the slow sender's holds more than twice its rate, even across a window edge.
    for (let i = 0; i + 10 < slowTimes.length; i++) {
      expect(slowTimes[i + 10] - slowTimes[i]).toBeGreaterThanOrEqual(1_000);
    }
  });

  it('pauses only the sender its provider throttled; the other sends meanwhile', async () => {
    await stack.startWorker();
    const [busy, other] = twilio;
    busy.standIn.enqueue(twilioError(20429, 'Too Many Requests', 429, { 'retry-after': '4' }));
    const busyConversation = await createConversation(stack.api, 'sms', {
      sender_id: busy.sender.id,
    });
    const otherConversation = await createConversation(stack.api, 'sms', {
      sender_id: other.sender.id,
    });
    const throttled = await stack.send(busyConversation.id, 'sms', { body: 'throttled' });
    await stack.waitForStatus(throttled.id, ['retrying']);
    const throttledAt = busy.standIn.requests[0].receivedAt;
    const held = [];
    const through = [];
    for (let i = 0; i < 3; i++) {
      held.push(await stack.send(busyConversation.id, 'sms', { body: `held ${i}` }));
      through.push(await stack.send(otherConversation.id, 'sms', { body: `through ${i}` }));
    }
    for (const message of through) await stack.waitForStatus(message.id, ['sent']);
    for (const message of [throttled, ...held]) {
      await stack.waitForStatus(message.id, ['sent'], 20_000);
    }
    const otherAfter = other.standIn.accepted.map((r) => r.receivedAt - throttledAt);
    const busyAfter = busy.standIn.accepted.map((r) => r.receivedAt - throttledAt);
    process.stdout.write(
      `429 with Retry-After 4 s: the other sender sent at ${otherAfter.join(', ')} ms, ` +
        `the throttled one at ${busyAfter.join(', ')} ms after the throttle\n`,
    );
    expect(Math.max(...otherAfter)).toBeLessThan(3_500);
    expect(busyAfter).toHaveLength(4);
    expect(Math.min(...busyAfter)).toBeGreaterThanOrEqual(3_900);
  });

  it('fails a message queued for a sender disabled meanwhile, naming the sender', async () => {
    const { sender } = web[0];
    const conversation = await createConversation(stack.api, 'web', { sender_id: sender.id });
    const message = await stack.send(conversation.id, 'web');
    const disabled = await stack.api.request('PATCH', `/api/senders/${sender.id}`, {
      status: 'disabled',
    });
    expect(disabled.status).toBe(200);
    try {
      await stack.startWorker();
      const failed = await stack.waitForStatus(message.id, ['failed']);
      expect(failed.last_error).toBe(`sender ${sender.id} is disabled`);
      expect(web[0].standIn.requests).toHaveLength(0);
    } finally {
      await stack.api.request('PATCH', `/api/senders/${sender.id}`, { status: 'enabled' });
    }
  });

  it('shows a sender whose last try failed in its resource and in /health/ready, still ready', async () => {
    await stack.startWorker();
    const { standIn, sender } = web[1];
    standIn.enqueue({ status: 400, body: { error: 'unknown conversation' } });
    const conversation = await createConversation(stack.api, 'web', { sender_id: sender.id });
    const message = await stack.send(conversation.id, 'web');
    const failed = await stack.waitForStatus(message.id, ['failed']);

    const shown = await waitFor(async () => {
      const current = await getSender(sender.id);
      return current.last_error && current;
    }, 'last_error of the failing sender');
    expect(shown.last_error).toBe(failed.last_error);
    expect(Date.parse(shown.last_error_at)).toBeGreaterThan(Date.parse(shown.last_success_at));

    const ready = await stack.api.request('GET', '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.info.senders.failing).toContainEqual(
      expect.objectContaining({ id: sender.id, last_error: failed.last_error }),
    );
    expect(ready.body.info.senders.failing.map((s: any) => s.id)).not.toContain(web[0].sender.id);

    // The next success takes it off the list.
    const recovered = await stack.send(conversation.id, 'web');
    await stack.waitForStatus(recovered.id, ['sent']);
    await waitFor(async () => {
      const body = (await stack.api.request('GET', '/health/ready')).body;
      return !body.info.senders.failing.some((s: any) => s.id === sender.id);
    }, 'the sender off the failing list');
  });
});
