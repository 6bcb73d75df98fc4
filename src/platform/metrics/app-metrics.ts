import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { CHANNELS } from '../../modules/conversation/channel';

export const ATTEMPT_OUTCOMES = ['sent', 'transient_error', 'permanent_error'] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

/**
 * The process's Prometheus registry and the metrics both processes share. Each process counts what
 * it does itself (the worker its sends, the API its webhooks); Prometheus sums across processes.
 * A registry per app rather than prom-client's global one, so tests can run several apps.
 */
export class AppMetrics {
  readonly registry = new Registry();

  /** Status changes made by this process: outbound sent/retrying/failed/expired, inbound received. */
  readonly messages = new Counter({
    name: 'messages_total',
    help: 'Messages that reached a status, by channel, direction and status',
    labelNames: ['channel', 'direction', 'status'] as const,
    registers: [this.registry],
  });

  readonly attempts = new Counter({
    name: 'delivery_attempts_total',
    help: 'Provider send attempts by channel and outcome',
    labelNames: ['channel', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly attemptDuration = new Histogram({
    name: 'delivery_attempt_duration_seconds',
    help: 'Time one provider send attempt took, whatever its outcome',
    labelNames: ['channel'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly webhookRejections = new Counter({
    name: 'inbound_webhook_rejections_total',
    help: 'Inbound webhook requests refused before processing, by provider and reason',
    labelNames: ['provider', 'reason'] as const,
    registers: [this.registry],
  });

  constructor(processName: 'api' | 'worker') {
    this.registry.setDefaultLabels({ process: processName });
    collectDefaultMetrics({ register: this.registry });
    // Series that exist from the start, at zero, so rate() and alerts see the first event.
    for (const channel of CHANNELS) {
      for (const outcome of ATTEMPT_OUTCOMES) this.attempts.inc({ channel, outcome }, 0);
      if (processName === 'worker') {
        for (const status of ['sent', 'retrying', 'failed', 'expired']) {
          this.messages.inc({ channel, direction: 'outbound', status }, 0);
        }
      } else {
        this.messages.inc({ channel, direction: 'inbound', status: 'received' }, 0);
      }
    }
  }
}
