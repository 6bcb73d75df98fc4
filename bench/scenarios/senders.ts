import { Redis } from 'ioredis';
import { v7 as uuidv7 } from 'uuid';
import { SecretBox } from '../../src/platform/crypto/secret-box';
import { censusDuring } from '../lib/connections';
import { db, PoolConversation } from '../lib/data';
import { sleep } from '../lib/processes';
import { settings } from '../lib/settings';
import type { StandIn } from '../lib/stack';
import { DrainResult, drainProduct } from './deliver';

export interface SenderDrain extends DrainResult {
  senders: number;
  /**
   * The most clients Redis had connected at once while this drain ran: every client of the
   * server, other users of a shared Redis included.
   */
  redisClients: number;
  /** The most connections the drain's own API and worker held to Redis at once (their sockets). */
  ownRedisConnections: number;
}

export interface SendersResult {
  single: SenderDrain;
  many: SenderDrain;
  /** many ÷ single msg/s, both as deployed (API and one worker) in the same run. */
  ratio: number;
}

/** Where the WhatsApp stand-in's Graph API lives: its messages URL without `/{id}/messages`. */
function graphApiUrl(standIn: StandIn): string {
  return standIn.apiUrl.replace(/\/[^/]+\/messages$/, '');
}

/**
 * `count` API senders sealed as the API seals them, each a phone number of the stand-in with a
 * rate far above the drain's, and the pool's conversations dealt round-robin over them.
 */
function spreadOverSenders(standIn: StandIn, count: number) {
  return async (conversations: PoolConversation[]): Promise<void> => {
    const box = new SecretBox(settings.senderSecretsKey);
    const ids = Array.from({ length: count }, () => uuidv7());
    await db().query(
      `INSERT INTO senders (id, channel, name, source, config, sealed_secrets, rate_limit_per_second)
       SELECT id, 'whatsapp', 'Bench number ' || n, 'api',
              jsonb_build_object('phone_number_id', (200000000000000 + n)::text,
                                 'graph_api_url', $2::text),
              $3, 100000
         FROM unnest($1::uuid[]) WITH ORDINALITY AS t(id, n)`,
      [
        ids,
        graphApiUrl(standIn),
        box.seal({ access_token: settings.whatsapp.accessToken, app_secret: 'bench-app-secret' }),
      ],
    );
    await db().query(
      `UPDATE conversations SET sender_id = ($2::uuid[])[1 + (t.n - 1) % $3]
         FROM unnest($1::uuid[]) WITH ORDINALITY AS t(id, n)
        WHERE conversations.id = t.id`,
      [conversations.map((conversation) => conversation.conversationId), ids, count],
    );
  };
}

/** Runs `work` while sampling Redis' connected_clients every 200 ms; returns the peak. */
async function peakRedisClients<T>(work: () => Promise<T>): Promise<[T, number]> {
  const redis = new Redis(settings.redisUrl, { maxRetriesPerRequest: 3 });
  let peak = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const info = await redis.info('clients');
      peak = Math.max(peak, Number(/connected_clients:(\d+)/.exec(info)?.[1] ?? 0));
      await sleep(200);
    }
  })();
  try {
    return [await work(), peak];
  } finally {
    sampling = false;
    await sampler;
    redis.disconnect();
  }
}

/**
 * 10. The same drain as deployed, once through the environment's one WhatsApp number and once
 * spread over `BENCH_SENDERS` API senders: per-sender rate limits and pauses (Redis keys on one
 * client), clients per sender and the directory must cost neither throughput nor connections.
 */
export async function runSenders(standIn: StandIn): Promise<SendersResult> {
  const drains: SenderDrain[] = [];
  for (const senders of [1, settings.senders]) {
    await standIn.reset();
    await sleep(500);
    const [[result, census], redisClients] = await peakRedisClients(() =>
      censusDuring(() =>
        drainProduct(standIn, settings.messages, {
          workers: 1,
          apis: 1,
          prepare: senders > 1 ? spreadOverSenders(standIn, senders) : undefined,
        }),
      ),
    );
    const ownRedisConnections = (census.peak.api?.redis ?? 0) + (census.peak.worker?.redis ?? 0);
    drains.push({ ...result, senders, redisClients, ownRedisConnections });
  }
  await standIn.reset();
  const [single, many] = drains;
  return { single, many, ratio: many.perSecond / single.perSecond };
}
