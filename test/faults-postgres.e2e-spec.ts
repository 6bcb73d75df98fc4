import { MEDIA_FETCH_QUEUE } from '../src/platform/queue/queue-names';
import { pngBytes, sha256 } from './support/attachment-files';
import { createConversation } from './support/factories';
import {
  INBOUND_ENV,
  postWhatsapp,
  uniqueWaId,
  whatsappImage,
  whatsappText,
} from './support/inbound-webhooks';
import { OutboundStack, startOutboundStack } from './support/outbound-stack';
import { PrivatePostgres } from './support/private-postgres';
import { outboundQueue, testQueue } from './support/queues';
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

  /** Runs `test` with a trigger on `table` that runs `body` (plpgsql) first; always drops it. */
  async function withTrigger<T>(
    table: string,
    timing: string,
    body: string,
    test: (drop: () => Promise<void>) => Promise<T>,
  ): Promise<T> {
    const name = `test_fault_on_${table}`;
    const drop = async () => {
      await postgres.query(`DROP TRIGGER IF EXISTS ${name} ON ${table}`);
      await postgres.query(`DROP FUNCTION IF EXISTS ${name}()`);
    };
    await postgres.query(
      `CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ${body} END $$`,
    );
    await postgres.query(
      `CREATE TRIGGER ${name} ${timing} ON ${table} FOR EACH ROW EXECUTE FUNCTION ${name}()`,
    );
    try {
      return await test(drop);
    } finally {
      await drop();
    }
  }

  it.each([
    ['a full disk', '53100'],
    ['a deadlock', '40P01'],
  ])(
    'sends each of a batch once when %s fails its outcome write for longer than every retry delay: no try spent, none failed',
    async (_, sqlState) => {
      const conversation = await createConversation(stack.api, 'whatsapp');
      const bodies = Array.from({ length: 5 }, (_, i) => `outcome fault ${sqlState} ${i}`);
      const messages = await withTrigger(
        'message_attempts',
        'BEFORE INSERT',
        `RAISE EXCEPTION 'injected by the test' USING ERRCODE = '${sqlState}';`,
        async (drop) => {
          const sent = await Promise.all(
            bodies.map((body) => stack.send(conversation.id, 'whatsapp', { body })),
          );
          await stack.whatsapp.waitForAccepted(bodies.length);
          // Every retry delay together is 1.4 s: a spent try per failure would fail them all.
          await new Promise((resolve) => setTimeout(resolve, 3_000));
          await drop();
          return sent;
        },
      );
      const final = await Promise.all(
        messages.map((message) => stack.waitForStatus(message.id, ['sent', 'failed'], 20_000)),
      );
      expect(final.map((message) => message.status)).toEqual(Array(bodies.length).fill('sent'));
      expect(final.every((message) => message.attempt_count === 1)).toBe(true);
      const counts = receivedPerBody();
      expect(bodies.map((body) => counts.get(body))).toEqual(Array(bodies.length).fill(1));
      const attempts = await postgres.query(
        `SELECT message_id, outcome FROM message_attempts WHERE message_id = ANY ($1::uuid[])`,
        [messages.map((message) => message.id)],
      );
      expect(attempts).toHaveLength(bodies.length);
      expect(attempts.every((attempt) => attempt.outcome === 'sent')).toBe(true);
      expect(stack.workers[0].output()).toContain(
        'database failed a statement of this send; trying again without spending a try',
      );
    },
    60_000,
  );

  it("charges one message's bad outcome write to that message only, and never marks it failed once the provider accepted it", async () => {
    const conversation = await createConversation(stack.api, 'whatsapp');
    const bodies = [
      'batch culprit',
      ...Array.from({ length: 4 }, (_, i) => `batch neighbour ${i}`),
    ];
    const queue = outboundQueue(stack.env, 'whatsapp');
    try {
      await withTrigger(
        'message_attempts',
        'BEFORE INSERT',
        `IF (SELECT body FROM messages WHERE id = NEW.message_id) = 'batch culprit' THEN
           RAISE EXCEPTION 'injected by the test';
         END IF;
         RETURN NEW;`,
        async () => {
          // One answer time for all: their outcomes are written as one batch.
          stack.whatsapp.setDelay(300);
          const [culprit, ...neighbours] = await Promise.all(
            bodies.map((body) => stack.send(conversation.id, 'whatsapp', { body })),
          );
          const sent = await Promise.all(
            neighbours.map((message) => stack.waitForStatus(message.id, ['sent', 'failed'])),
          );
          expect(sent.map((message) => message.status)).toEqual(Array(4).fill('sent'));
          // BullMQ counts the run that completed: 1 is a first try that was not retried.
          for (const message of neighbours) {
            expect((await queue.getJob(message.id))?.attemptsMade).toBe(1);
          }
          // The culprit's job spends its tries writing an outcome the database refuses.
          await waitFor(
            async () => (await queue.getJobState(culprit.id)) === 'failed',
            "the culprit's job to give up",
          );
          // What the worker makes of the job's failure: the message failed, or the give-up logged.
          const after = await waitFor(async () => {
            const message = (await stack.api.request('GET', `/api/messages/${culprit.id}`)).body;
            const logged = stack.workers[0]
              .output()
              .includes(
                'provider accepted the message but its outcome could not be written; job gave up',
              );
            return (logged || message.status === 'failed') && message;
          }, "the worker to handle the culprit's failed job");
          expect(after.status).toBe('sending');
        },
      );
      const counts = receivedPerBody();
      expect(bodies.map((body) => counts.get(body))).toEqual(Array(bodies.length).fill(1));
    } finally {
      await queue.close();
    }
  }, 60_000);

  it('answers a request whose statement times out with a logged 500, never a 503 "retry later"', async () => {
    await withTrigger(
      'customers',
      'BEFORE INSERT',
      `IF NEW.name = 'Slow Sam' THEN PERFORM pg_sleep(30); END IF; RETURN NEW;`,
      async () => {
        const response = await stack.api.request('POST', '/api/customers', {
          name: 'Slow Sam',
          phone: `+1415${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`,
        });
        expect(response.status).toBe(500);
        expect(response.body).toEqual({
          statusCode: 500,
          error: 'internal_error',
          message: expect.stringMatching(/^internal error; quote [0-9a-f-]{36} when reporting it$/),
        });
        expect(response.headers.get('retry-after')).toBeNull();
      },
    );
  }, 30_000);

  describe('inbound media', () => {
    /** Posts a customer's image; returns its attachment id (pending until the worker fetches it). */
    async function receiveImage(png: Buffer): Promise<string> {
      const mediaId = stack.whatsapp.addMedia({ bytes: png, mimeType: 'image/png' });
      const from = uniqueWaId();
      expect((await postWhatsapp(stack.api, whatsappImage(from, mediaId, png))).status).toBe(200);
      const [{ id }] = await postgres.query(
        `SELECT a.id FROM attachments a
           JOIN message_attachments l ON l.attachment_id = a.id
           JOIN messages m ON m.id = l.message_id
           JOIN customers c ON c.id = m.customer_id
          WHERE c.phone = $1`,
        [`+${from}`],
      );
      return id;
    }

    async function settled(attachmentId: string, timeoutMs = 20_000) {
      return waitFor(
        async () => {
          const [row] = await postgres.query(
            'SELECT status, sha256, fetch_attempts, error FROM attachments WHERE id = $1',
            [attachmentId],
          );
          return row.status !== 'pending' && row;
        },
        `attachment ${attachmentId} to be fetched`,
        timeoutMs,
      );
    }

    it('fetches an image whose fetch was in flight during an outage once Postgres is back, spending no try on it', async () => {
      const png = pngBytes();
      // Two Graph calls of 1.5 s each: the bytes arrive while Postgres is down.
      stack.whatsapp.setDelay(1_500);
      const attachmentId = await receiveImage(png);
      await waitFor(() => stack.whatsapp.requests.length >= 1, 'the fetch to reach the Graph API');
      await postgres.stop();
      // Longer than every retry delay after the download: each spent try would be gone.
      await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
      stack.whatsapp.setDelay(0);
      await postgres.resume();

      const file = await settled(attachmentId);
      expect(file).toEqual({
        status: 'stored',
        sha256: sha256(png),
        fetch_attempts: 1,
        error: null,
      });
      expect(stack.workers[0].output()).toContain(
        'Postgres unavailable: media fetch workers paused until it answers',
      );
    }, 60_000);

    it('fetches again an image whose job gave up without recording it: the sweeper replaces the failed job', async () => {
      const png = pngBytes();
      const attachmentId = await withTrigger(
        'attachments',
        'BEFORE UPDATE',
        `IF NEW.status = 'failed' THEN RAISE EXCEPTION 'injected by the test'; END IF; RETURN NEW;`,
        async () => {
          // Every try fails at the provider; the last one cannot record the file failed.
          stack.whatsapp.failNext(4, {
            status: 503,
            body: {
              error: { message: 'Service unavailable', type: 'OAuthException', code: 131016 },
            },
          });
          const id = await receiveImage(png);
          // The last try's failure write hits the trigger, and BullMQ fails the job.
          const queue = testQueue(stack.env, MEDIA_FETCH_QUEUE);
          try {
            await waitFor(
              async () => (await queue.getJobState(id)) === 'failed',
              'the job to give up',
              40_000,
            );
          } finally {
            await queue.close();
          }
          return id;
        },
      );
      const file = await settled(attachmentId);
      expect(file).toMatchObject({ status: 'stored', sha256: sha256(png) });
    }, 60_000);
  });
});
