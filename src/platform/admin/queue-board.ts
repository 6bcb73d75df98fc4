import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter as BullBoardFastifyAdapter } from '@bull-board/fastify';
import { getQueueToken } from '@nestjs/bullmq';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { AppConfig } from '../config/app-config';
import { apiKeyDigests, isAuthorized } from '../http/api-key';
import { OUTBOUND_QUEUE } from '../queue/queue-names';

export const QUEUE_BOARD_PATH = '/admin/queues';

/**
 * The API key as a Bearer token (scripts), or as the password of HTTP Basic with any user name
 * (browsers prompt for it; a key in the query string would end up in history and proxy logs).
 */
export function presentedAsBearer(header: string | undefined): string | undefined {
  const basic = header && /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header.trim());
  if (!basic) return header;
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : `Bearer ${decoded.slice(colon + 1)}`;
}

/**
 * Bull Board over the outbound queues, mounted on Fastify beside Nest (its routes never pass the
 * Nest guards, so the API key is checked by a hook of its own). Open when API_KEYS is empty, like
 * the rest of the API.
 */
export async function registerQueueBoard(
  app: NestFastifyApplication,
  config: AppConfig,
): Promise<void> {
  const queues = Object.values(OUTBOUND_QUEUE).map((name) =>
    app.get<Queue>(getQueueToken(name), { strict: false }),
  );
  const serverAdapter = new BullBoardFastifyAdapter();
  serverAdapter.setBasePath(QUEUE_BOARD_PATH);
  createBullBoard({
    queues: queues.map((queue) => new BullMQAdapter(queue)),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Outbound queues' } },
  });
  const keyDigests = apiKeyDigests(config.apiKeys);

  await app.register(async (scope: FastifyInstance) => {
    if (keyDigests.length > 0) {
      scope.addHook('onRequest', async (request, reply) => {
        if (isAuthorized(presentedAsBearer(request.headers.authorization), keyDigests)) return;
        return reply
          .status(401)
          .header('www-authenticate', 'Basic realm="queues", charset="UTF-8"')
          .type('application/json; charset=utf-8')
          .send({
            statusCode: 401,
            error: 'unauthorized',
            message:
              'a valid API key is required: Bearer KEY, or HTTP Basic with the key as password',
          });
      });
    }
    await scope.register(serverAdapter.registerPlugin(), { prefix: QUEUE_BOARD_PATH });
  });
}
