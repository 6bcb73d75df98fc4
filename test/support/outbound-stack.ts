import { closeDb, sql } from './db';
import { ApiHarness, startApi } from './api-harness';
import { outboundQueue } from './queues';
import { testEnv } from './test-env';
import { startWorker, WorkerHarness } from './worker-harness';
import { SmtpStandIn, startSmtpStandIn } from '../stand-ins/smtp-stand-in';
import { startTwilioStandIn, TwilioStandIn } from '../stand-ins/twilio-stand-in';
import {
  newWebhookSecret,
  startWebWebhookStandIn,
  WebWebhookStandIn,
} from '../stand-ins/web-webhook-stand-in';
import { startWhatsappStandIn, WhatsappStandIn } from '../stand-ins/whatsapp-stand-in';

export const WHATSAPP_TOKEN = 'test-whatsapp-token';
export const TWILIO_SID = 'AC00000000000000000000000000000001';
export const TWILIO_TOKEN = 'test-twilio-token';

export interface OutboundStack {
  env: Record<string, string>;
  api: ApiHarness;
  workers: WorkerHarness[];
  whatsapp: WhatsappStandIn;
  twilio: TwilioStandIn;
  web: WebWebhookStandIn;
  smtp: SmtpStandIn;
  startWorker(extra?: Record<string, string>): Promise<WorkerHarness>;
  /** Sends an outbound message through the API and returns its JSON. */
  send(conversationId: string, channel: string, fields?: Record<string, unknown>): Promise<any>;
  /** Polls GET /api/messages/:id until its status is one of `statuses`. */
  waitForStatus(id: string, statuses: string[], timeoutMs?: number): Promise<any>;
  stop(): Promise<void>;
}

/**
 * Every provider stand-in on loopback, the real API in this process and real `node dist/worker`
 * processes, all configured through the environment exactly as in production.
 */
export async function startOutboundStack(
  overrides: Record<string, string | undefined> = {},
  { worker = true } = {},
): Promise<OutboundStack> {
  // One database belongs to one deployment: a worker's sweepers re-enqueue every pending message
  // and every pending inbound file they find. What earlier test files left pending (with no
  // worker) must not reach this file's stand-ins (a media fetch of theirs would use up failures
  // this file scripted), so it is retired first. Files run one at a time.
  await sql(
    `UPDATE messages SET status = 'expired', last_error = 'left pending by an earlier test file'
      WHERE status IN ('queued', 'retrying', 'sending')`,
  );
  await sql(
    `UPDATE attachments SET status = 'failed', error = 'left pending by an earlier test file'
      WHERE status = 'pending'`,
  );
  const webSecret = newWebhookSecret();
  const [whatsapp, twilio, web, smtp] = await Promise.all([
    startWhatsappStandIn({ accessToken: WHATSAPP_TOKEN, phoneNumberId: '106540352242922' }),
    startTwilioStandIn({ accountSid: TWILIO_SID, authToken: TWILIO_TOKEN }),
    startWebWebhookStandIn({ secret: webSecret }),
    startSmtpStandIn(),
  ]);
  const env = testEnv({
    WHATSAPP_API_URL: whatsapp.apiUrl,
    WHATSAPP_ACCESS_TOKEN: WHATSAPP_TOKEN,
    WHATSAPP_REPLY_WINDOW_HOURS: '0',
    SMS_API_URL: twilio.apiUrl,
    TWILIO_ACCOUNT_SID: TWILIO_SID,
    TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
    TWILIO_FROM_NUMBER: '+15005550006',
    PUBLIC_BASE_URL: 'https://messaging.example.com',
    MAIL_MAILER: 'smtp',
    MAIL_HOST: smtp.host,
    MAIL_PORT: String(smtp.port),
    MAIL_ENCRYPTION: 'none',
    MAIL_FROM_ADDRESS: 'support@shop.example.com',
    MAIL_FROM_NAME: 'Shop Support',
    WEB_WEBHOOK_URL: `${web.url}/hooks/messages`,
    WEB_WEBHOOK_SECRET: webSecret,
    ...overrides,
  });
  const api = await startApi(env);
  const workers: WorkerHarness[] = [];

  const stack: OutboundStack = {
    env,
    api,
    workers,
    whatsapp,
    twilio,
    web,
    smtp,
    async startWorker(extra = {}) {
      const started = await startWorker({ ...env, ...extra });
      workers.push(started);
      return started;
    },
    async send(conversationId, channel, fields = {}) {
      const response = await api.request('POST', '/api/messages', {
        conversation_id: conversationId,
        direction: 'outbound',
        channel,
        body: `hello over ${channel}`,
        ...fields,
      });
      if (response.status !== 202)
        throw new Error(`send refused: ${response.status} ${response.text}`);
      return response.body;
    },
    async waitForStatus(id, statuses, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      let last: any;
      while (Date.now() < deadline) {
        last = (await api.request('GET', `/api/messages/${id}`)).body;
        if (statuses.includes(last.status)) return last;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(
        `message ${id} did not reach ${statuses.join('/')} in ${timeoutMs} ms: ${JSON.stringify(last)}`,
      );
    },
    async stop() {
      await Promise.all(workers.map((w) => w.stop()));
      await api.close();
      await Promise.all([whatsapp.close(), twilio.close(), web.close(), smtp.close()]);
      await Promise.all(
        (['whatsapp', 'sms', 'email', 'web'] as const).map(async (channel) => {
          const queue = outboundQueue(env, channel);
          await queue.obliterate({ force: true });
          await queue.close();
        }),
      );
      await closeDb();
    },
  };
  if (worker) await stack.startWorker();
  return stack;
}
