import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import type { AppConfig } from '../../platform/config/app-config';
import { APP_CONFIG } from '../../platform/config/config.module';
import { isSuccessStatus } from '../../providers/provider-http';
import {
  DNS_LOOKUP_TIMEOUT_MS,
  UnsafeWebhookTargetError,
  WebhookAddressGuard,
} from './webhook-address.guard';
import { AttemptRecord, ClaimedDelivery, WebhookDeliveryLedger } from './webhook-delivery.ledger';
import { WebhookHttpSender, WebhookResponse } from './webhook-http.sender';
import { nextRetryDelayMs } from './webhook-retry-schedule';
import { signedWebhookHeaders } from '../../providers/standard-webhooks/webhook-signature';

/** Statuses whose Retry-After the next try waits for. */
const RETRY_AFTER_STATUSES = new Set([429, 503]);

/**
 * How long a delivery stays leased to the worker sending it, for a request timeout of
 * `timeoutMs`: the address lookup before the request, the request, and a few seconds to record
 * the outcome after it. A try that outlived its lease could be sent a second time by another
 * worker.
 */
export function deliveryLeaseMs(timeoutMs: number): number {
  return DNS_LOOKUP_TIMEOUT_MS + timeoutMs + 3_000;
}

export interface DeliveryOutcome extends AttemptRecord {
  succeeded: boolean;
  /** How long the endpoint asked to be left alone (Retry-After on a 429 or 503). */
  retryAfterMs?: number;
}

/**
 * One try of a claimed delivery: check the address again (DNS can change after registration),
 * sign, POST to the checked address, then record the try and decide what comes next: success,
 * a retry on the schedule, or failure; and whether the endpoint must be disabled.
 */
@Injectable()
export class WebhookDeliverer implements OnModuleDestroy {
  private readonly http = new WebhookHttpSender();
  readonly guard: WebhookAddressGuard;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly ledger: WebhookDeliveryLedger,
  ) {
    this.guard = new WebhookAddressGuard(config.webhooks.allowedHosts);
  }

  /** Sends one try and records it: the answer is returned once it is kept. */
  async deliver(delivery: ClaimedDelivery): Promise<DeliveryOutcome> {
    const outcome = await this.send(delivery);
    await this.record(delivery, outcome);
    return outcome;
  }

  /** Sends one try and says how the endpoint took it; records nothing. */
  async send(delivery: ClaimedDelivery): Promise<DeliveryOutcome> {
    const startedAt = new Date();
    const response = await this.post(delivery, startedAt);
    const succeeded = response.status !== undefined && isSuccessStatus(response.status);
    return {
      succeeded,
      startedAt,
      durationMs: response.durationMs,
      responseStatus: response.status,
      responseBody: response.body,
      retryAfterMs: RETRY_AFTER_STATUSES.has(response.status ?? 0)
        ? response.retryAfterMs
        : undefined,
      error:
        response.error ??
        (succeeded
          ? undefined
          : `endpoint answered HTTP ${response.status}${redirectNote(response)}`),
    };
  }

  /**
   * Keeps a sent try and what comes next for the delivery (done, a retry on the schedule, or
   * failed), and the endpoint's health: healthy again, failing, or disabled.
   */
  async record(delivery: ClaimedDelivery, attempt: DeliveryOutcome): Promise<void> {
    if (attempt.succeeded) {
      await this.ledger.recordAttempt(delivery, attempt, { status: 'succeeded' });
      if (delivery.endpointFailing) await this.ledger.markEndpointHealthy(delivery.endpointId);
      return;
    }

    const gone = attempt.responseStatus === 410;
    const retryable = !gone && delivery.origin !== 'test' && delivery.body !== null;
    const delay = retryable
      ? nextRetryDelayMs(
          this.config.webhooks.retryDelaysMs,
          delivery.roundAttempts,
          attempt.retryAfterMs,
        )
      : null;
    await this.ledger.recordAttempt(
      delivery,
      attempt,
      delay === null
        ? { status: 'failed' }
        : { status: 'pending', nextAttemptAt: new Date(Date.now() + delay) },
    );
    // A test event says how the endpoint answers; it does not count towards disabling it.
    if (delivery.origin === 'test') return;
    if (gone) {
      await this.ledger.disableEndpoint(delivery.endpointId, 'endpoint answered HTTP 410 (gone)');
      return;
    }
    const failingSince = await this.ledger.markEndpointFailing(delivery.endpointId);
    if (Date.now() - failingSince.getTime() >= this.config.webhooks.disableAfterMs) {
      const hours = this.config.webhooks.disableAfterMs / 3_600_000;
      await this.ledger.disableEndpoint(
        delivery.endpointId,
        `no successful delivery for ${hours} h while failing (last: ${attempt.error})`,
      );
    }
  }

  private async post(delivery: ClaimedDelivery, at: Date): Promise<WebhookResponse> {
    if (delivery.body === null) {
      return { error: 'the event is no longer in the event log', durationMs: 0 };
    }
    const url = new URL(delivery.url);
    let address;
    try {
      address = await this.guard.resolve(url);
    } catch (error) {
      if (!(error instanceof UnsafeWebhookTargetError)) throw error;
      return { error: `not sent: ${error.message}`, durationMs: 0 };
    }
    return this.http.send({
      url,
      address,
      headers: signedWebhookHeaders(delivery.secrets, delivery.webhookId, at, delivery.body),
      body: delivery.body,
      timeoutMs: this.config.webhooks.timeoutMs,
    });
  }

  onModuleDestroy(): void {
    this.http.close();
  }
}

function redirectNote(response: WebhookResponse): string {
  const status = response.status ?? 0;
  return status >= 300 && status < 400 ? ' (redirects are not followed)' : '';
}
