import { sql } from './support/db';
import { createConversation } from './support/factories';
import { INBOUND_ENV, postWhatsapp, whatsappStatus } from './support/inbound-webhooks';
import { OutboundStack, startOutboundStack } from './support/outbound-stack';

const MESSAGES = 12;
const ROUNDS = 4;

/** Deadlocks Postgres detected in the test database so far (its statistics lag a little). */
async function deadlocks(): Promise<number> {
  const [{ count }] = await sql<{ count: number }>(
    `SELECT deadlocks::int AS count FROM pg_stat_database WHERE datname = current_database()`,
  );
  return count;
}

/**
 * Webhooks carry receipts in whatever order the provider batched them; recording them locks
 * their messages, so two batches naming the same messages in opposite orders would each hold
 * what the other waits for. Locking a batch's messages in id order first makes them queue.
 */
describe('Receipts of one batch lock their messages in one order', () => {
  let stack: OutboundStack;

  beforeAll(async () => {
    stack = await startOutboundStack({ WHATSAPP_APP_SECRET: INBOUND_ENV.WHATSAPP_APP_SECRET });
  });
  afterAll(() => stack?.stop());

  /** One webhook with a status for each of `wamids`, in that order. */
  function statuses(wamids: string[], status: string, timestamp: number) {
    const payload = whatsappStatus(wamids[0], status, timestamp);
    const value = payload.entry[0].changes[0].value;
    const [template] = value.statuses;
    value.statuses = wamids.map((id) => ({ ...template, id }));
    return payload;
  }

  it('applies webhooks naming the same messages in opposite orders at once without a deadlock', async () => {
    const conversation = await createConversation(stack.api, 'whatsapp');
    const messages = await Promise.all(
      Array.from({ length: MESSAGES }, (_, i) =>
        stack.send(conversation.id, 'whatsapp', { body: `lock order ${i}` }),
      ),
    );
    const sent = await Promise.all(
      messages.map((message) => stack.waitForStatus(message.id, ['sent'])),
    );
    const wamids = sent.map((message) => message.provider_message_id as string);
    const before = await deadlocks();

    const now = Math.floor(Date.now() / 1000);
    for (let round = 0; round < ROUNDS; round++) {
      const status = round % 2 === 0 ? 'delivered' : 'read';
      const answers = await Promise.all([
        postWhatsapp(stack.api, statuses(wamids, status, now + round)),
        postWhatsapp(stack.api, statuses([...wamids].reverse(), status, now + round)),
      ]);
      expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    }

    const read = await Promise.all(
      messages.map((message) => stack.waitForStatus(message.id, ['read'])),
    );
    expect(read.every((message) => message.status === 'read')).toBe(true);
    // A backend reports its statistics to pg_stat_database within a second or so of going idle.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect((await deadlocks()) - before).toBe(0);
  }, 60_000);
});
