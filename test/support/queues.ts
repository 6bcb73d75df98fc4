import { Queue } from 'bullmq';
import { OUTBOUND_QUEUE } from '../../src/platform/queue/queue-names';
import { redisConnection } from '../../src/platform/queue/redis-connection';

/** The outbound queue of a channel as the test's API and worker see it (same prefix). */
export function outboundQueue(env: Record<string, string>, channel: keyof typeof OUTBOUND_QUEUE) {
  return new Queue(OUTBOUND_QUEUE[channel], {
    connection: redisConnection(env.REDIS_URL),
    prefix: env.QUEUE_PREFIX,
  });
}

/** Removes every job a test file left in its outbound queues (its prefix is its own). */
export async function obliterateOutboundQueues(env: Record<string, string>): Promise<void> {
  for (const channel of Object.keys(OUTBOUND_QUEUE) as (keyof typeof OUTBOUND_QUEUE)[]) {
    const queue = outboundQueue(env, channel);
    await queue.obliterate({ force: true });
    await queue.close();
  }
}
