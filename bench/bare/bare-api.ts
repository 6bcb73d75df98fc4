import Fastify from 'fastify';
import { Queue } from 'bullmq';
import { Pool } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { bullmqConnection } from '../../src/platform/queue/redis-connection';

/**
 * The floor the API is measured against: Fastify, one `pg` INSERT of a message row and one
 * BullMQ `queue.add` per request, nothing else (no validation, no lookups, no transaction).
 * Same table, same pool size and same job options as the product, so the difference is the
 * product's own work.
 */
async function main(): Promise<void> {
  const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 20 });
  const queue = new Queue('bare-accept', {
    connection: bullmqConnection({ redisUrl: process.env.REDIS_URL! }),
    prefix: process.env.QUEUE_PREFIX,
  });
  const { rows } = await pool.query<{ id: string; customer_id: string }>(
    'SELECT id, customer_id FROM conversations',
  );
  const customerOf = new Map(rows.map((row) => [row.id, row.customer_id]));
  const fallback = rows[0];

  const app = Fastify({ bodyLimit: 1024 * 1024 });
  app.post('/bare/messages', async (request, reply) => {
    const body = request.body as { conversation_id?: string; body?: string };
    const conversationId =
      body.conversation_id && customerOf.has(body.conversation_id)
        ? body.conversation_id
        : fallback.id;
    const id = uuidv7();
    await pool.query(
      `INSERT INTO messages (id, conversation_id, customer_id, direction, channel, body, metadata,
                             recipient, priority, status)
       VALUES ($1, $2, $3, 'outbound', 'whatsapp', $4, '{}', NULL, 'normal', 'queued')`,
      [id, conversationId, customerOf.get(conversationId), body.body ?? 'webhook'],
    );
    await queue.add(
      'send-message',
      { messageId: id },
      {
        jobId: id,
        priority: 2,
        attempts: 4,
        backoff: { type: 'outbound-delays' },
        removeOnComplete: { age: 24 * 3600, count: 50_000 },
        removeOnFail: { age: 7 * 24 * 3600 },
      },
    );
    return reply.status(202).send({ id, status: 'queued' });
  });
  await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
  process.stdout.write('bare api listening\n');
  process.on('SIGTERM', () => {
    void app
      .close()
      .then(() => Promise.all([queue.close(), pool.end()]))
      .then(() => process.exit(0));
  });
}

void main();
