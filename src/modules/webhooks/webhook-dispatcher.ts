import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import type { AppConfig } from '../../platform/config/app-config';
import { APP_CONFIG } from '../../platform/config/config.module';
import { EventSequencer } from '../events/event-sequencer';
import { deliveryLeaseMs, WebhookDeliverer } from './webhook-deliverer';
import { ClaimedDelivery, WebhookDeliveryLedger } from './webhook-delivery.ledger';
import { WebhookRateLimiter } from './webhook-rate-limiter';

/** Events turned into deliveries per fan-out transaction. */
const FAN_OUT_BATCH = 500;

/**
 * The worker's webhook loop. Every EVENT_WEBHOOK_POLL_INTERVAL_MS (and at once whenever there is
 * more) it publishes how far the event log may be read, fans new events out into delivery rows,
 * then claims due deliveries into free slots of EVENT_WEBHOOK_CONCURRENCY and sends them. Postgres
 * is the scheduler: no job exists that could be lost with Redis, and a killed worker's claims
 * simply expire.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WebhookDispatcher.name);
  private readonly inFlight = new Set<Promise<void>>();
  private timer?: NodeJS.Timeout;
  private pass?: Promise<void>;
  private stopping = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly ledger: WebhookDeliveryLedger,
    private readonly deliverer: WebhookDeliverer,
    private readonly rateLimiter: WebhookRateLimiter,
    private readonly sequencer: EventSequencer,
  ) {}

  onApplicationBootstrap(): void {
    this.wake(true);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    await this.pass;
    await Promise.all(this.inFlight);
  }

  /**
   * Runs a pass now unless one is running; the pass schedules the next, which also fans out.
   * Passes woken by finished deliveries only refill the free slots.
   */
  private wake(fanOut: boolean): void {
    if (this.stopping || this.pass) return;
    clearTimeout(this.timer);
    this.pass = this.runPass(fanOut)
      .catch((error: Error) =>
        this.logger.warn({ reason: error.message }, 'webhook dispatch pass failed; will retry'),
      )
      .finally(() => {
        this.pass = undefined;
        if (!this.stopping) {
          this.timer = setTimeout(() => this.wake(true), this.config.webhooks.pollIntervalMs);
        }
      });
  }

  private async runPass(fanOut: boolean): Promise<void> {
    let covered = 0;
    // The fan-out reads up to the published seq; publishing here too keeps webhooks going
    // while no API process runs (the API's relay publishes as well).
    if (fanOut) await this.sequencer.publish();
    do {
      covered = fanOut ? await this.ledger.fanOut(FAN_OUT_BATCH) : 0;
    } while (covered === FAN_OUT_BATCH && !this.stopping);
    const { concurrency, endpointConcurrency, timeoutMs } = this.config.webhooks;
    for (;;) {
      const free = concurrency - this.inFlight.size;
      if (free <= 0 || this.stopping) return;
      const claimed = await this.ledger.claimDue(
        free,
        endpointConcurrency,
        deliveryLeaseMs(timeoutMs),
      );
      for (const delivery of claimed) this.start(delivery);
      if (claimed.length < free) return;
    }
  }

  private start(delivery: ClaimedDelivery): void {
    const running = this.send(delivery)
      .catch((error: Error) =>
        // The lease runs out and another pass sends again: nothing is lost, at worst resent.
        this.logger.warn(
          { deliveryId: delivery.id, reason: error.message },
          'webhook delivery not recorded',
        ),
      )
      .finally(() => {
        this.inFlight.delete(running);
        // Refill once a quarter of the slots is free, rather than one query per completion.
        if (this.config.webhooks.concurrency - this.inFlight.size >= this.refillThreshold()) {
          this.wake(false);
        }
      });
    this.inFlight.add(running);
  }

  private refillThreshold(): number {
    return Math.max(1, Math.floor(this.config.webhooks.concurrency / 4));
  }

  private async send(delivery: ClaimedDelivery): Promise<void> {
    if (
      delivery.rateLimitPerSecond !== null &&
      !(await this.rateLimiter.tryTake(delivery.endpointId, delivery.rateLimitPerSecond))
    ) {
      // A slot frees within the second; spread the retries over it.
      await this.ledger.release(delivery, new Date(Date.now() + 100 + Math.random() * 400));
      return;
    }
    const outcome = await this.deliverer.deliver(delivery);
    this.logger.debug(
      {
        deliveryId: delivery.id,
        endpointId: delivery.endpointId,
        attempt: delivery.attempt,
        status: outcome.responseStatus,
        durationMs: outcome.durationMs,
      },
      outcome.succeeded ? 'webhook delivered' : 'webhook attempt failed',
    );
  }
}
