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
import { EventsPublishedListener } from '../events/events-published.listener';
import { deliveryLeaseMs, WebhookDeliverer } from './webhook-deliverer';
import { ClaimedDelivery, WebhookDeliveryLedger } from './webhook-delivery.ledger';
import { WebhookRateLimiter } from './webhook-rate-limiter';

/** Events turned into deliveries per fan-out transaction. */
const FAN_OUT_BATCH = 500;

/**
 * How long a claimed delivery may wait for a slot before it is given back instead of sent: its
 * lease (deliveryLeaseMs) was counted from the claim, and must still cover the whole try.
 */
const READY_WAIT_LIMIT_MS = 1_000;

interface ReadyDelivery {
  delivery: ClaimedDelivery;
  claimedAt: number;
}

/**
 * The worker's webhook loop. Every EVENT_WEBHOOK_POLL_INTERVAL_MS, at once whenever there is
 * more, and as soon as any process publishes new events (EventsPublishedListener), it publishes
 * how far the event log may be read, fans new events out into delivery rows, then claims due
 * deliveries and sends them in EVENT_WEBHOOK_CONCURRENCY slots. Postgres is the scheduler: no
 * job exists that could be lost with Redis, and a killed worker's claims simply expire.
 *
 * A slot is the time of a request, nothing more: it takes its next delivery from a few claimed
 * ahead (up to another EVENT_WEBHOOK_CONCURRENCY), and frees as soon as the answer is in, while
 * the outcome is written in the background (batched with others). Claims happen once half the
 * slots' worth is missing, not for every few finished deliveries.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WebhookDispatcher.name);
  /** Requests in progress, one per slot. */
  private readonly inFlight = new Set<Promise<void>>();
  /** Answered tries whose outcome is being written. */
  private readonly recording = new Set<Promise<void>>();
  /** Claimed deliveries waiting for a slot, oldest claim first. */
  private ready: ReadyDelivery[] = [];
  private timer?: NodeJS.Timeout;
  private pass?: Promise<void>;
  /** Events were published during the running pass: the next one starts right after it. */
  private passAgain = false;
  private stopping = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly ledger: WebhookDeliveryLedger,
    private readonly deliverer: WebhookDeliverer,
    private readonly rateLimiter: WebhookRateLimiter,
    private readonly sequencer: EventSequencer,
    private readonly published: EventsPublishedListener,
  ) {}

  onApplicationBootstrap(): void {
    this.wake(true);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    await this.pass;
    // Unsent claims go back at once rather than wait for their leases to run out.
    await Promise.all(this.ready.splice(0).map(({ delivery }) => this.giveBack(delivery)));
    await Promise.all(this.inFlight);
    await Promise.all(this.recording);
  }

  /**
   * Runs a pass now unless one is running; the pass schedules the next, which also fans out.
   * Passes woken by finished deliveries only claim.
   */
  private wake(fanOut: boolean): void {
    if (this.stopping) return;
    if (this.pass) {
      this.passAgain ||= fanOut;
      return;
    }
    clearTimeout(this.timer);
    this.pass = this.runPass(fanOut)
      .catch((error: Error) =>
        this.logger.warn({ reason: error.message }, 'webhook dispatch pass failed; will retry'),
      )
      .finally(() => {
        this.pass = undefined;
        if (this.stopping) return;
        const again = this.passAgain;
        this.passAgain = false;
        this.timer = setTimeout(
          () => this.wake(true),
          again ? 0 : this.config.webhooks.pollIntervalMs,
        );
      });
  }

  private async runPass(fanOut: boolean): Promise<void> {
    let covered = 0;
    // The fan-out reads up to the published seq; publishing here too keeps webhooks going
    // while no API process runs (the API's relay publishes as well).
    if (fanOut) {
      // Also the retry when the listening connection was lost.
      this.published.listen(() => this.wake(true));
      await this.sequencer.publish();
    }
    do {
      covered = fanOut ? await this.ledger.fanOut(FAN_OUT_BATCH) : 0;
    } while (covered === FAN_OUT_BATCH && !this.stopping);
    const { endpointConcurrency, timeoutMs } = this.config.webhooks;
    for (;;) {
      const wanted = this.unclaimed();
      if (wanted <= 0 || this.stopping) return;
      const claimed = await this.ledger.claimDue(
        wanted,
        endpointConcurrency,
        deliveryLeaseMs(timeoutMs),
      );
      const claimedAt = Date.now();
      for (const delivery of claimed) this.ready.push({ delivery, claimedAt });
      this.fillSlots();
      // Claim again only for a whole batch: answers that came in meanwhile make a few more.
      if (claimed.length < wanted || this.unclaimed() < this.claimBatch()) return;
    }
  }

  /** How many more deliveries the slots and those claimed ahead have room for. */
  private unclaimed(): number {
    return 2 * this.config.webhooks.concurrency - this.inFlight.size - this.ready.length;
  }

  private fillSlots(): void {
    // Once stopping, what is left unsent goes back at shutdown.
    if (this.stopping) return;
    while (this.inFlight.size < this.config.webhooks.concurrency && this.ready.length > 0) {
      const { delivery, claimedAt } = this.ready.shift()!;
      if (Date.now() - claimedAt > READY_WAIT_LIMIT_MS) void this.giveBack(delivery);
      else this.start(delivery);
    }
  }

  private start(delivery: ClaimedDelivery): void {
    const running = this.send(delivery)
      .catch((error: Error) => {
        this.warnUnrecorded(delivery, error);
        this.refill();
      })
      .finally(() => {
        this.inFlight.delete(running);
        this.fillSlots();
      });
    this.inFlight.add(running);
  }

  /**
   * Claims once half the slots' worth is missing, rather than a query per answer. Called when an
   * outcome is written: that frees the endpoint's lease (an ordered endpoint's next delivery
   * becomes claimable only then).
   */
  private refill(): void {
    if (this.unclaimed() >= this.claimBatch()) this.wake(false);
  }

  private claimBatch(): number {
    return Math.max(1, Math.floor(this.config.webhooks.concurrency / 2));
  }

  /** Holds the slot until the answer is in; the outcome is written after the slot is freed. */
  private async send(delivery: ClaimedDelivery): Promise<void> {
    if (
      delivery.rateLimitPerSecond !== null &&
      !(await this.rateLimiter.tryTake(delivery.endpointId, delivery.rateLimitPerSecond))
    ) {
      // A slot frees within the second; spread the retries over it.
      await this.ledger.release(delivery, new Date(Date.now() + 100 + Math.random() * 400));
      this.refill();
      return;
    }
    const outcome = await this.deliverer.send(delivery);
    const recorded = this.deliverer
      .record(delivery, outcome)
      .then(() =>
        this.logger.debug(
          {
            deliveryId: delivery.id,
            endpointId: delivery.endpointId,
            attempt: delivery.attempt,
            status: outcome.responseStatus,
            durationMs: outcome.durationMs,
          },
          outcome.succeeded ? 'webhook delivered' : 'webhook attempt failed',
        ),
      )
      .catch((error: Error) => this.warnUnrecorded(delivery, error))
      .finally(() => {
        this.recording.delete(recorded);
        this.refill();
      });
    this.recording.add(recorded);
  }

  /** The lease runs out and another pass sends again: nothing is lost, at worst resent. */
  private warnUnrecorded(delivery: ClaimedDelivery, error: Error): void {
    this.logger.warn(
      { deliveryId: delivery.id, reason: error.message },
      'webhook delivery not recorded',
    );
  }

  /** Gives a claimed delivery back untried, due at once; its lease would only delay it. */
  private async giveBack(delivery: ClaimedDelivery): Promise<void> {
    await this.ledger
      .release(delivery, new Date())
      .catch((error: Error) => this.warnUnrecorded(delivery, error));
  }
}
