import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Client systems' webhook endpoints for the fan-out scenario, in their own process: RECEIVERS
 * servers on loopback, each answering 204 after RECEIVER_DELAY_MS. For each message.updated it
 * notes how long after the status change (the event's created_at) it arrived.
 * Parent → child IPC: 'stats' answers {received, lagsMs}; 'reset' forgets both.
 */
async function main(): Promise<void> {
  const count = Number(process.env.RECEIVERS ?? '10');
  const delayMs = Number(process.env.RECEIVER_DELAY_MS ?? '20');
  let received = 0;
  let lagsMs: number[] = [];
  const urls: string[] = [];
  for (let i = 0; i < count; i++) {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const now = Date.now();
        received++;
        const event = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (event.type === 'message.updated') lagsMs.push(now - Date.parse(event.created_at));
        setTimeout(() => res.writeHead(204).end(), delayMs);
      });
    });
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    urls.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`);
  }
  process.on('message', (message: { type: string }) => {
    if (message.type === 'stats') process.send?.({ type: 'stats', received, lagsMs });
    if (message.type === 'reset') {
      received = 0;
      lagsMs = [];
      process.send?.({ type: 'reset' });
    }
  });
  process.on('SIGTERM', () => process.exit(0));
  process.stdout.write(`receivers listening ${urls.join(' ')}\n`);
}

void main();
