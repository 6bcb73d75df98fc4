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

/**
 * The same load over several API processes at once, the connections dealt over their URLs, as a
 * load balancer would: answers the sum of their rates, the worst of their tails.
 */
export async function warmThenMeasureOver(
  urls: string[],
  options: Omit<LoadOptions, 'url' | 'durationS' | 'amount'>,
  durationS = settings.durationS,
): Promise<LoadResult> {
  const share = (index: number) =>
    Math.floor(options.connections / urls.length) +
    (index < options.connections % urls.length ? 1 : 0);
  const all = (seconds: number) =>
    Promise.all(
      urls.map((url, index) =>
        runLoad({ ...options, url, connections: share(index), durationS: seconds }),
      ),
    );
  if (settings.warmupS > 0) await all(settings.warmupS);
  const before = cpuSnapshot();
  const parts = await all(durationS);
  const cpu = cpuBetween(before, cpuSnapshot(), runningChildren());
  const sum = (of: (part: LoadResult) => number) =>
    parts.reduce((total, part) => total + of(part), 0);
  const ok = sum((part) => part.ok);
  return {
    rps: sum((part) => part.rps),
    p50: ok > 0 ? sum((part) => part.p50 * part.ok) / ok : 0,
    p99: Math.max(...parts.map((part) => part.p99)),
    max: Math.max(...parts.map((part) => part.max)),
    ok,
    bad: sum((part) => part.bad),
    durationS: Math.max(...parts.map((part) => part.durationS)),
    sample: parts.find((part) => part.sample)?.sample,
    cpu,
  };
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
