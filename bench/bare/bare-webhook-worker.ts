import { Worker } from 'bullmq';
import * as http from 'node:http';
import { bullmqConnection } from '../../src/platform/queue/redis-connection';

/**
 * The floor the webhook dispatcher is measured against: a BullMQ worker at the same concurrency
 * whose job is only the POST of a prepared body (keep-alive agent): no fan-out, no claim, no
 * signature, no attempt rows.
 */
const agent = new http.Agent({ keepAlive: true, timeout: 30_000, maxSockets: 256 });

function post(url: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const worker = new Worker<{ url: string; body: string }>(
  'bare-webhooks',
  async (job) => {
    const status = await post(job.data.url, job.data.body);
    if (status < 200 || status >= 300) throw new Error(`HTTP ${status}`);
  },
  {
    connection: bullmqConnection({ redisUrl: process.env.REDIS_URL! }),
    prefix: process.env.QUEUE_PREFIX,
    concurrency: Number(process.env.EVENT_WEBHOOK_CONCURRENCY ?? 20),
    drainDelay: 1,
  },
);
worker.on('ready', () => process.stdout.write('bare webhook worker started\n'));
process.on('SIGTERM', () => void worker.close().then(() => process.exit(0)));
