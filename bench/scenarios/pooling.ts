import { PrivatePgbouncer } from '../../test/support/private-pgbouncer';
import { deleteQueueKeys, resetDatabase } from '../lib/data';
import type { LoadResult } from '../lib/load';
import { sleep } from '../lib/processes';
import { settings } from '../lib/settings';
import { startApi, StandIn } from '../lib/stack';
import { authHeaders, JSON_HEADERS, outboundMessageBody, warmThenMeasure } from './http-load';
import { webhookFactory, webhookRequest } from './ingest';

/** Server connections of the PgBouncer: the API's own pool holds 20 clients. */
export const PGBOUNCER_POOL_SIZE = 20;

export interface PoolingVariant {
  label: string;
  accept: LoadResult;
  ingest: LoadResult;
}

/**
 * 9. What transaction pooling costs on the two hot endpoints, in one run: the named (prepared)
 * statements straight to Postgres (DATABASE_POOL_MODE=session, the default), the same SQL
 * unnamed straight to Postgres (DATABASE_POOL_MODE=transaction: parsed and planned every call),
 * and unnamed through a PgBouncer in transaction mode (one more hop).
 */
export async function runPooling(standIn: StandIn): Promise<PoolingVariant[]> {
  const variants: { label: string; env: Record<string, string>; pgbouncer?: boolean }[] = [
    { label: 'named statements, direct (session)', env: {} },
    { label: 'unnamed, direct (transaction)', env: { DATABASE_POOL_MODE: 'transaction' } },
    {
      label: `unnamed, through PgBouncer (transaction, pool ${PGBOUNCER_POOL_SIZE})`,
      env: { DATABASE_POOL_MODE: 'transaction' },
      pgbouncer: true,
    },
  ];
  const results: PoolingVariant[] = [];
  for (const variant of variants) {
    const accept = await measure(standIn, variant.env, variant.pgbouncer, (conversations) => ({
      headers: authHeaders(),
      next: () => ({ path: '/api/messages', body: outboundMessageBody(conversations) }),
    }));
    const ingest = await measure(standIn, variant.env, variant.pgbouncer, (conversations) => {
      const webhook = webhookFactory(conversations);
      return { headers: JSON_HEADERS, next: () => webhookRequest(webhook) };
    });
    results.push({ label: variant.label, accept, ingest });
  }
  return results;
}

type Requests = Pick<Parameters<typeof warmThenMeasure>[0], 'headers' | 'next'>;

/** One endpoint on a fresh database, the API configured as the variant says. */
async function measure(
  standIn: StandIn,
  env: Record<string, string>,
  throughPgbouncer: boolean | undefined,
  requests: (conversations: Awaited<ReturnType<typeof resetDatabase>>) => Requests,
): Promise<LoadResult> {
  const conversations = await resetDatabase(settings.poolSize);
  await deleteQueueKeys();
  // Started after the reset, whose DROP DATABASE would end its server connections.
  const pgbouncer = throughPgbouncer
    ? await PrivatePgbouncer.start(settings.databaseUrl, { poolSize: PGBOUNCER_POOL_SIZE })
    : undefined;
  try {
    const api = await startApi(standIn, {
      ...env,
      ...(pgbouncer && { DATABASE_URL: pgbouncer.urlFor(settings.databaseUrl) }),
    });
    const result = await warmThenMeasure(
      { url: api.url, connections: settings.connections, ...requests(conversations) },
      settings.durationS,
      [api.child],
    );
    // autocannon stops without waiting for its last requests: let them finish before stopping.
    await sleep(2_000);
    await api.child.stop();
    return result;
  } finally {
    await pgbouncer?.stop();
  }
}
