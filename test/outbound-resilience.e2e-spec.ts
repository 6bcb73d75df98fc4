import { sql } from './support/db';
import { createConversation, createCustomer } from './support/factories';
import { OutboundStack, startOutboundStack } from './support/outbound-stack';
import { outboundQueue } from './support/queues';
import { waitFor } from './support/wait-for';

describe('Outbound delivery survives failures (real worker processes)', () => {
  // Redis going down or restarting empty: test/faults-redis.e2e-spec.ts.
  describe('with the shared Redis', () => {
    let stack: OutboundStack;

    beforeAll(async () => {
      // The production timeout: on a loaded test machine the stand-in may take over 2 s to answer,
      // and a timed-out try that the provider did receive is a duplicate these tests would count.
      stack = await startOutboundStack(
        { WEB_RATE_LIMIT_PER_SECOND: '5000', OUTBOUND_HTTP_TIMEOUT_MS: '10000' },
        { worker: false },
      );
    });
    beforeEach(() => stack.web.reset());
    afterAll(() => stack.stop());

    it('re-enqueues a message whose job was removed from Redis', async () => {
      const conversation = await createConversation(stack.api, 'web');
      const message = await stack.send(conversation.id, 'web');
      const queue = outboundQueue(stack.env, 'web');
      await queue.remove(message.id);
      expect(await queue.getJob(message.id)).toBeUndefined();
      await queue.close();

      const worker = await stack.startWorker();
      await stack.waitForStatus(message.id, ['sent']);
      expect(stack.web.accepted.map((r) => r.headers['webhook-id'])).toEqual([message.id]);
      await worker.stop();
    });

    it('recovers the job of a worker SIGKILLed mid-send: the message ends sent, not stuck in sending', async () => {
      const conversation = await createConversation(stack.api, 'web');
      const doomed = await stack.startWorker();
      stack.web.setDelay(3_000);
      const message = await stack.send(conversation.id, 'web');
      await waitFor(() => stack.web.requests.length >= 1, 'the send to reach the provider');
      await doomed.kill();
      const [row] = await sql('SELECT status FROM messages WHERE id = $1', [message.id]);
      expect(row.status).toBe('sending');

      stack.web.setDelay(0);
      const survivor = await stack.startWorker();
      const sent = await stack.waitForStatus(message.id, ['sent'], 30_000);
      // The killed try may have reached the provider: at-least-once, never lost, never stuck.
      expect(sent.attempt_count).toBe(2);
      expect(stack.web.requests.length).toBeGreaterThanOrEqual(2);
      await survivor.stop();
    });

    it('finishes the in-flight send on SIGTERM before the worker exits', async () => {
      const conversation = await createConversation(stack.api, 'web');
      const worker = await stack.startWorker();
      stack.web.setDelay(1_500);
      const message = await stack.send(conversation.id, 'web');
      await waitFor(() => stack.web.requests.length >= 1, 'the send to reach the provider');

      const exitCode = await worker.stop();
      expect(exitCode).toBe(0);
      const [row] = await sql('SELECT status FROM messages WHERE id = $1', [message.id]);
      expect(row.status).toBe('sent');
      expect(worker.output()).toContain('all outbound workers closed');
    });

    it('two workers deliver 500 messages exactly once each', async () => {
      const customer = await createCustomer(stack.api);
      const conversation = await createConversation(stack.api, 'web', { customer_id: customer.id });
      const [first, second] = await Promise.all([stack.startWorker(), stack.startWorker()]);
      const ids: string[] = [];
      for (let batch = 0; batch < 10; batch++) {
        const sent = await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            stack.send(conversation.id, 'web', { body: `bulk ${batch * 50 + i}` }),
          ),
        );
        ids.push(...sent.map((m) => m.id));
      }

      await stack.web.waitForAccepted(500, 60_000);
      await waitFor(
        async () =>
          (
            await sql(
              `SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1 AND status = 'sent'`,
              [conversation.id],
            )
          )[0].n === 500,
        'all 500 rows to be sent',
        30_000,
      );
      await new Promise((resolve) => setTimeout(resolve, 500));
      const deliveries = new Map<string, number>();
      for (const request of stack.web.requests) {
        const id = String(request.headers['webhook-id']);
        deliveries.set(id, (deliveries.get(id) ?? 0) + 1);
      }
      expect(deliveries.size).toBe(500);
      expect([...deliveries.values()].every((count) => count === 1)).toBe(true);
      expect(new Set(deliveries.keys())).toEqual(new Set(ids));
      const sentBy = [first, second].map((w) => (w.output().match(/"message sent"/g) ?? []).length);
      process.stdout.write(`500 messages over two workers: ${sentBy.join(' + ')} sends\n`);
      expect(sentBy[0] + sentBy[1]).toBe(500);
      expect(Math.min(...sentBy)).toBeGreaterThan(0);
      await Promise.all([first.stop(), second.stop()]);
    });
  });
});
