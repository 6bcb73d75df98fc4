import { deleteQueueKeys, resetDatabase } from '../lib/data';
import { settings } from '../lib/settings';
import { startApi, startBareApi, StandIn } from '../lib/stack';
import {
  authHeaders,
  Comparison,
  JSON_HEADERS,
  outboundMessageBody,
  warmThenMeasure,
} from './http-load';

/** 1. POST /api/messages (outbound) through the real API, against the bare pipeline. */
export async function runAccept(standIn: StandIn): Promise<Comparison> {
  let conversations = await resetDatabase(settings.poolSize);
  const bare = await startBareApi();
  const bareResult = await warmThenMeasure({
    url: bare.url,
    connections: settings.connections,
    headers: JSON_HEADERS,
    next: () => ({ path: '/bare/messages', body: outboundMessageBody(conversations) }),
  });
  await bare.child.stop();

  conversations = await resetDatabase(settings.poolSize);
  await deleteQueueKeys();
  const api = await startApi(standIn);
  const product = await warmThenMeasure(
    {
      url: api.url,
      connections: settings.connections,
      headers: authHeaders(),
      next: () => ({ path: '/api/messages', body: outboundMessageBody(conversations) }),
    },
    settings.durationS,
    [api.child],
  );
  await api.child.stop();
  await deleteQueueKeys();
  return { bare: bareResult, product, ratio: product.rps / bareResult.rps };
}
