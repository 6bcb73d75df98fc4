import { Queue } from 'bullmq';
import { loadConfig } from '../../src/platform/config/app-config';
import { OUTBOUND_QUEUE } from '../../src/platform/queue/queue-names';
import { redisClient } from '../../src/platform/queue/redis-connection';

/**
 * A queue as the test's API and worker see it (same Redis or cluster, same prefix). BullMQ
 * leaves a connection it was handed open, so closing the queue closes its connection too.
 */
export function testQueue(env: Record<string, string>, name: string): Queue {
  const connection = redisClient(loadConfig(env));
  const queue = new Queue(name, { connection, prefix: env.QUEUE_PREFIX });
  // Reconnection errors (a test stopping Redis) are not what a test reads a queue for.
  queue.on('error', () => undefined);
  const close = queue.close.bind(queue);
  queue.close = async () => {
    await close();
    connection.disconnect();
  };
  return queue;
}

/** The outbound queue of a channel as the test's API and worker see it. */
export function outboundQueue(env: Record<string, string>, channel: keyof typeof OUTBOUND_QUEUE) {
  return testQueue(env, OUTBOUND_QUEUE[channel]);
}

/** Removes every job a test file left in its outbound queues (its prefix is its own). */
export async function obliterateOutboundQueues(env: Record<string, string>): Promise<void> {
  for (const channel of Object.keys(OUTBOUND_QUEUE) as (keyof typeof OUTBOUND_QUEUE)[]) {
    const queue = outboundQueue(env, channel);
    await queue.obliterate({ force: true });
    await queue.close();
  }
}
