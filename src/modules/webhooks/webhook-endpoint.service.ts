import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import type { AppConfig } from '../../platform/config/app-config';
import { APP_CONFIG } from '../../platform/config/config.module';
import type { JsonObject } from '../../platform/database/json';
import { newId } from '../../platform/database/new-id';
import { DomainError } from '../../platform/errors/domain-error';
import { PUBLISHED_SEQ } from '../events/event-log';
import { fetchPage, Page, PageQuery } from '../../platform/http/pagination';
import {
  ListWebhookDeliveriesQuery,
  mapWebhookAttempt,
  mapWebhookDelivery,
  WebhookAttemptResponse,
  WebhookDeliveryResponse,
  WebhookTestResponse,
} from './dto/webhook-delivery.dto';
import {
  CreateWebhookEndpointDto,
  mapWebhookEndpoint,
  UpdateWebhookEndpointDto,
  WebhookEndpointResponse,
  WebhookEndpointWithSecretResponse,
} from './dto/webhook-endpoint.dto';
import { UnsafeWebhookTargetError } from './webhook-address.guard';
import { deliveryLeaseMs, WebhookDeliverer } from './webhook-deliverer';
import { WebhookDeliveryAttempt } from './webhook-delivery-attempt.entity';
import { WebhookDelivery } from './webhook-delivery.entity';
import { recordEndpointVersion } from './webhook-delivery.ledger';
import { WebhookEndpoint } from './webhook-endpoint.entity';
import { newWebhookSecret } from '../../providers/standard-webhooks/webhook-signature';

/** How long the secret before a rotation still signs, next to the new one. */
const ROTATION_OVERLAP_MS = 24 * 3_600_000;

/** The use-cases of /api/webhook-endpoints and /api/webhook-deliveries. */
@Injectable()
export class WebhookEndpointService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(WebhookEndpoint) private readonly endpoints: Repository<WebhookEndpoint>,
    @InjectRepository(WebhookDelivery) private readonly deliveries: Repository<WebhookDelivery>,
    @InjectRepository(WebhookDeliveryAttempt)
    private readonly attempts: Repository<WebhookDeliveryAttempt>,
    private readonly deliverer: WebhookDeliverer,
  ) {}

  async createEndpoint(dto: CreateWebhookEndpointDto): Promise<WebhookEndpointWithSecretResponse> {
    await this.checkUrl(dto.url);
    const endpoint = this.endpoints.create({
      id: newId(),
      url: dto.url,
      description: dto.description ?? null,
      eventTypes: dto.event_types ?? null,
      ordered: dto.ordered ?? false,
      rateLimitPerSecond: dto.rate_limit_per_second ?? null,
      metadata: dto.metadata ?? {},
      status: 'enabled',
      secret: newWebhookSecret(),
    });
    const saved = await this.dataSource.transaction(async (manager) => {
      const created = await manager.save(endpoint);
      await recordEndpointVersion(manager, created);
      return created;
    });
    return { ...mapWebhookEndpoint(await this.getEndpoint(saved.id)), secret: saved.secret };
  }

  listEndpoints(page: PageQuery): Promise<Page<WebhookEndpointResponse>> {
    const query = this.endpoints
      .createQueryBuilder('endpoint')
      .where('endpoint.deleted_at IS NULL');
    return fetchPage(query, page, mapWebhookEndpoint);
  }

  async getEndpoint(id: string): Promise<WebhookEndpoint> {
    const endpoint = await this.endpoints.findOneBy({ id });
    if (!endpoint || endpoint.deletedAt) throw DomainError.notFound('webhook endpoint', id);
    return endpoint;
  }

  async updateEndpoint(id: string, dto: UpdateWebhookEndpointDto): Promise<WebhookEndpoint> {
    if (dto.url !== undefined) await this.checkUrl(dto.url);
    return this.changeEndpoint(id, (endpoint) => {
      if (dto.url !== undefined) endpoint.url = dto.url;
      if (dto.event_types !== undefined) endpoint.eventTypes = dto.event_types;
      if (dto.description !== undefined) endpoint.description = dto.description;
      if (dto.rate_limit_per_second !== undefined) {
        endpoint.rateLimitPerSecond = dto.rate_limit_per_second;
      }
      if (dto.status === 'enabled' && endpoint.status === 'disabled') {
        // A fresh start: the failing period that disabled it must not disable it again at once.
        endpoint.status = 'enabled';
        endpoint.disabledReason = null;
        endpoint.failingSince = null;
      } else if (dto.status === 'disabled' && endpoint.status === 'enabled') {
        endpoint.status = 'disabled';
        endpoint.disabledReason = 'disabled through the API';
      }
    });
  }

  async deleteEndpoint(id: string): Promise<void> {
    await this.changeEndpoint(id, (endpoint) => {
      endpoint.deletedAt = new Date();
    });
  }

  async rotateSecret(id: string): Promise<string> {
    const secret = newWebhookSecret();
    await this.changeEndpoint(id, (endpoint) => {
      endpoint.previousSecret = endpoint.secret;
      endpoint.previousSecretExpiresAt = new Date(Date.now() + ROTATION_OVERLAP_MS);
      endpoint.secret = secret;
    });
    return secret;
  }

  async listDeliveries(
    endpointId: string,
    query: ListWebhookDeliveriesQuery,
  ): Promise<Page<WebhookDeliveryResponse>> {
    await this.getEndpoint(endpointId);
    const rows = this.deliveries
      .createQueryBuilder('delivery')
      .where('delivery.endpoint_id = :endpointId', { endpointId });
    if (query.status) rows.andWhere('delivery.status = :status', { status: query.status });
    return fetchPage(rows, query, mapWebhookDelivery);
  }

  async listAttempts(deliveryId: string): Promise<WebhookAttemptResponse[]> {
    await this.getDelivery(deliveryId);
    const attempts = await this.attempts.find({
      where: { deliveryId },
      order: { attempt: 'ASC' },
    });
    return attempts.map(mapWebhookAttempt);
  }

  /** A fresh round of tries for one delivery, whatever became of the last one. */
  async resendDelivery(deliveryId: string): Promise<WebhookDeliveryResponse> {
    await this.getDelivery(deliveryId);
    await this.restartRounds(`id = $1`, [deliveryId]);
    return mapWebhookDelivery(await this.getDelivery(deliveryId));
  }

  /** Every failed delivery of the endpoint made since `since` gets a fresh round. */
  async recoverFailed(endpointId: string, since: Date): Promise<number> {
    await this.getEndpoint(endpointId);
    return this.restartRounds(`endpoint_id = $1 AND status = 'failed' AND created_at >= $2`, [
      endpointId,
      since,
    ]);
  }

  /** New deliveries of every event after `afterSeq` that the endpoint subscribes to now. */
  async replayEvents(endpointId: string, afterSeq: number): Promise<number> {
    const endpoint = await this.getEndpoint(endpointId);
    const inserted = await this.dataSource.query(
      `INSERT INTO webhook_deliveries (endpoint_id, origin, event_id, seq, type)
       SELECT $1, 'replay', ev.id, ev.seq, ev.type FROM events ev
        WHERE ev.seq > $2 AND ev.seq <= (${PUBLISHED_SEQ})
          AND ($3::text[] IS NULL OR ev.type = ANY ($3::text[]))
        ORDER BY ev.seq
       RETURNING 1`,
      [endpointId, afterSeq, endpoint.eventTypes],
    );
    return inserted.length;
  }

  /** Sends a `webhook.test` now, from this process, and answers with how the endpoint took it. */
  async sendTest(endpointId: string): Promise<WebhookTestResponse> {
    const endpoint = await this.getEndpoint(endpointId);
    const id = newId();
    const webhookId = `evt_test_${id}`;
    const payload: JsonObject = {
      id: webhookId,
      seq: null,
      type: 'webhook.test',
      created_at: new Date().toISOString(),
      conversation_id: null,
      data: { endpoint_id: endpoint.id },
    };
    await this.deliveries.insert({
      id,
      endpointId,
      origin: 'test',
      type: 'webhook.test',
      payload,
      attemptCount: 1,
      roundAttempts: 1,
      nextAttemptAt: new Date(),
      leasedUntil: new Date(Date.now() + deliveryLeaseMs(this.config.webhooks.timeoutMs)),
    });
    const outcome = await this.deliverer.deliver({
      id,
      endpointId,
      origin: 'test',
      attempt: 1,
      roundAttempts: 1,
      url: endpoint.url,
      secrets: activeSecrets(endpoint),
      rateLimitPerSecond: null,
      endpointFailing: false,
      webhookId,
      body: JSON.stringify(payload),
    });
    return {
      delivery_id: id,
      succeeded: outcome.succeeded,
      attempt: 1,
      started_at: outcome.startedAt.toISOString(),
      duration_ms: outcome.durationMs,
      response_status: outcome.responseStatus ?? null,
      response_body: outcome.responseBody ?? null,
      error: outcome.error ?? null,
    };
  }

  private async getDelivery(id: string): Promise<WebhookDelivery> {
    const delivery = await this.deliveries.findOneBy({ id });
    if (!delivery) throw DomainError.notFound('webhook delivery', id);
    return delivery;
  }

  private async restartRounds(where: string, params: unknown[]): Promise<number> {
    const [, affected] = await this.dataSource.query(
      `UPDATE webhook_deliveries
          SET status = 'pending', round_attempts = 0, next_attempt_at = now(), updated_at = now()
        WHERE ${where} AND origin <> 'test'`,
      params,
    );
    return affected as number;
  }

  /** Applies a change to an endpoint and records the version it leaves, in one transaction. */
  private async changeEndpoint(
    id: string,
    change: (endpoint: WebhookEndpoint) => void,
  ): Promise<WebhookEndpoint> {
    return this.dataSource.transaction(async (manager) => {
      const endpoint = await manager.findOne(WebhookEndpoint, {
        where: { id },
        lock: { mode: 'pessimistic_write' },
      });
      if (!endpoint || endpoint.deletedAt) throw DomainError.notFound('webhook endpoint', id);
      change(endpoint);
      endpoint.updatedAt = new Date();
      const saved = await manager.save(endpoint);
      await recordEndpointVersion(manager, saved);
      return saved;
    });
  }

  /** https, or http outside production; a host that resolves only to public addresses. */
  private async checkUrl(raw: string): Promise<void> {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new DomainError('invalid_input', 'url must be an absolute http(s) URL');
    }
    const allowed = this.config.nodeEnv === 'production' ? ['https:'] : ['https:', 'http:'];
    if (!allowed.includes(url.protocol)) {
      throw new DomainError('invalid_input', `url must use ${allowed.join(' or ')}`);
    }
    try {
      await this.deliverer.guard.resolve(url);
    } catch (error) {
      if (error instanceof UnsafeWebhookTargetError) {
        throw new DomainError('invalid_input', `url refused: ${error.message}`);
      }
      throw error;
    }
  }
}

function activeSecrets(endpoint: WebhookEndpoint): string[] {
  const previousValid =
    endpoint.previousSecret &&
    endpoint.previousSecretExpiresAt &&
    endpoint.previousSecretExpiresAt.getTime() > Date.now();
  return previousValid ? [endpoint.secret, endpoint.previousSecret!] : [endpoint.secret];
}
