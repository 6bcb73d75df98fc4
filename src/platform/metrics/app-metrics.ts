import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { CHANNELS } from '../../shared/channel';
import { ENVIRONMENT_SENDER_IDS } from '../../shared/environment-senders';

export const ATTEMPT_OUTCOMES = ['sent', 'transient_error', 'permanent_error'] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

/**
 * The process's Prometheus registry and its metrics. Each process counts what it does itself (the
 * worker its sends, the API its webhooks); Prometheus sums across processes. A series only one
 * process fills is registered in that process only, so the API's /metrics shows no delivery
 * series stuck at zero. A registry per app rather than prom-client's global one, so tests can run
 * several apps.
 */
export class AppMetrics {
  readonly registry = new Registry();

  /**
   * Status changes made by this process: outbound sent/retrying/failed/expired, inbound received.
   * Outbound ones carry the sender's id: one series per sender and status, never per message.
   */
  readonly messages: Counter<'channel' | 'direction' | 'status' | 'sender'>;
  /** Worker only. */
  readonly attempts: Counter<'channel' | 'outcome' | 'sender'>;
  /** Worker only. */
  readonly attemptDuration: Histogram<'channel'>;
  /** API only. */
  readonly webhookRejections: Counter<'provider' | 'reason'>;

  constructor(processName: 'api' | 'worker') {
    const ours = [this.registry];
    const inWorker = processName === 'worker' ? ours : [];
    const inApi = processName === 'api' ? ours : [];
    this.messages = counter(
      'messages_total',
      'Messages that reached a status, by channel, direction, status and (outbound) sender id',
      ['channel', 'direction', 'status', 'sender'],
      ours,
    );
    this.attempts = counter(
      'delivery_attempts_total',
      'Provider send attempts by channel, sender id and outcome',
      ['channel', 'outcome', 'sender'],
      inWorker,
    );
    this.attemptDuration = new Histogram({
      name: 'delivery_attempt_duration_seconds',
      help: 'Time one provider send attempt took, whatever its outcome',
      labelNames: ['channel'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: inWorker,
    });
    this.webhookRejections = counter(
      'inbound_webhook_rejections_total',
      'Inbound webhook requests refused before processing, by provider and reason',
      ['provider', 'reason'],
      inApi,
    );

    this.registry.setDefaultLabels({ process: processName });
    collectDefaultMetrics({ register: this.registry });
    // Series that exist from the start, at zero, so rate() and alerts see the first event.
    for (const channel of CHANNELS) {
      if (processName === 'worker') {
        // API senders' series start with their first send; the environment's exist from the start.
        const sender = ENVIRONMENT_SENDER_IDS[channel];
        for (const outcome of ATTEMPT_OUTCOMES) this.attempts.inc({ channel, outcome, sender }, 0);
        for (const status of ['sent', 'retrying', 'failed', 'expired']) {
          this.messages.inc({ channel, direction: 'outbound', status, sender }, 0);
        }
      } else {
        this.messages.inc({ channel, direction: 'inbound', status: 'received' }, 0);
      }
    }
  }
}

function counter<L extends string>(
  name: string,
  help: string,
  labelNames: readonly L[],
  registers: Registry[],
): Counter<L> {
  return new Counter({ name, help, labelNames, registers });
}
