import type { PoolConversation } from '../lib/data';
import { LoadOptions, LoadResult, runLoad } from '../lib/load';
import { cpuBetween, cpuSnapshot } from '../lib/cpu';
import { Child, flushProfiles, runningChildren } from '../lib/processes';
import { settings } from '../lib/settings';

/** A warm-up (JIT, connection pools) that is thrown away, then the measured run. */
export async function warmThenMeasure(
  options: Omit<LoadOptions, 'durationS' | 'amount'>,
  durationS = settings.durationS,
  profiled: Child[] = [],
): Promise<LoadResult> {
  if (settings.warmupS > 0) await runLoad({ ...options, durationS: settings.warmupS });
  // Start-up and warm-up go to one profile, the measured window to the next.
  if (settings.profile) await flushProfiles(profiled);
  const before = cpuSnapshot();
  const result = await runLoad({ ...options, durationS });
  result.cpu = cpuBetween(before, cpuSnapshot(), runningChildren());
  if (settings.profile) await flushProfiles(profiled);
  return result;
}

export function pick<T>(items: T[]): T {
  return items[Math.floor(Math.random() * items.length)];
}

export const JSON_HEADERS = { 'content-type': 'application/json' };

export function authHeaders(): Record<string, string> {
  return { ...JSON_HEADERS, authorization: `Bearer ${settings.apiKey}` };
}

/** An agent's free-text WhatsApp reply inside the customer-service window. */
export function outboundMessageBody(conversations: PoolConversation[]): string {
  return JSON.stringify({
    conversation_id: pick(conversations).conversationId,
    direction: 'outbound',
    channel: 'whatsapp',
    body: 'Your order #48213 has shipped and arrives tomorrow between 9 and 12.',
  });
}

export interface Comparison {
  bare: LoadResult;
  product: LoadResult;
  /** product req/s ÷ bare req/s. */
  ratio: number;
}
