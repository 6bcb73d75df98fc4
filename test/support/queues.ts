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
