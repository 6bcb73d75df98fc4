import axios from 'axios';
import { Worker } from 'bullmq';
import { bullmqConnection } from '../../src/platform/queue/redis-connection';
import * as http from 'node:http';

/**
 * The floor the delivery worker is measured against: a BullMQ worker with the product's
 * concurrency whose job is only the provider call (axios with a keep-alive agent, like the
 * senders): no database, no status, no attempt rows.
 */
const client = axios.create({
  httpAgent: new http.Agent({ keepAlive: true, timeout: 30_000 }),
  timeout: 10_000,
  maxRedirects: 0,
});

const worker = new Worker<{ messageId: string; to: string }>(
  'bare-deliver',
  async (job) => {
    const response = await client.post(
      process.env.WHATSAPP_API_URL!,
      {
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: job.data.to,
        type: 'text',
        text: { preview_url: false, body: 'Your order has shipped and arrives tomorrow.' },
        biz_opaque_callback_data: job.data.messageId,
      },
      { headers: { Authorization: `Bearer ${process.env.WHATSAPP_ACCESS_TOKEN}` } },
    );
    return response.data.messages[0].id as string;
  },
  {
    connection: bullmqConnection({ redisUrl: process.env.REDIS_URL! }),
    prefix: process.env.QUEUE_PREFIX,
    concurrency: Number(process.env.OUTBOUND_CONCURRENCY ?? 20),
    drainDelay: 1,
  },
);
worker.on('ready', () => process.stdout.write('bare worker started\n'));
process.on('SIGTERM', () => void worker.close().then(() => process.exit(0)));
