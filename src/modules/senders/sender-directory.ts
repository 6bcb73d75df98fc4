import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { MoreThan, Repository } from 'typeorm';
import type { AppConfig } from '../../platform/config/app-config';
import { APP_CONFIG } from '../../platform/config/config.module';
import type { SecretBox } from '../../platform/crypto/secret-box';
import type { Channel } from '../../shared/channel';
import { ENVIRONMENT_SENDER_IDS } from '../../shared/environment-senders';
import { environmentSender } from './environment-senders';
import { SENDER_SECRET_BOX } from './sender-secret-box';
import { SENDER_SCHEMAS } from './sender-schemas';
import { Sender, SenderSource, SenderStatus } from './sender.entity';

/** A sender as the processes use it: its provider settings in the clear, in memory only. */
export interface ResolvedSender {
  id: string;
  channel: Channel;
  name: string;
  source: SenderSource;
  status: SenderStatus;
  /** The sender's own limit, or its channel's <CHANNEL>_RATE_LIMIT_PER_SECOND. */
  rateLimitPerSecond: number;
  /** The provider's settings (WhatsappSenderSettings, TwilioSenderSettings, …). */
  settings: Record<string, unknown>;
  /** False for an environment sender whose variables configure only receiving. */
  canSend: boolean;
  /** When the row last changed: clients built from the settings are rebuilt after it. */
  version: number;
}

/** How stale the directory may be: a PATCH or a disable reaches every process within this. */
export const DIRECTORY_REFRESH_MS = 1_000;
/** Rows committed out of updated_at order (a long transaction) are still seen: re-read a window. */
const REFRESH_OVERLAP_MS = 5_000;

/**
 * Every sender, held in memory by each process and refreshed from the rows changed since the
 * last look at most once a second, so that resolving the sender of a message or a webhook costs
 * no query: 1 000 senders are about a megabyte. Environment senders take their settings from the
 * variables; API senders from their config and sealed secrets.
 */
@Injectable()
export class SenderDirectory {
  private readonly logger = new Logger(SenderDirectory.name);
  private readonly senders = new Map<string, ResolvedSender>();
  /** API senders marked default (at most one per channel). */
  private readonly defaults = new Set<string>();
  private seenUpTo = new Date(0);
  private refreshedAt = 0;
  private refreshing?: Promise<void>;
  private changes = 0;

  constructor(
    @InjectRepository(Sender) private readonly rows: Repository<Sender>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(SENDER_SECRET_BOX) private readonly secretBox: SecretBox | null,
  ) {}

  /** The sender with this id, or null when there is none. */
  async find(id: string): Promise<ResolvedSender | null> {
    await this.refresh();
    if (!this.senders.has(id)) await this.refresh(true);
    return this.senders.get(id) ?? null;
  }

  /** The sender new conversations of the channel take: an API default, else the environment's. */
  async defaultFor(channel: Channel): Promise<ResolvedSender> {
    await this.refresh();
    const chosen = [...this.senders.values()].find(
      (sender) => sender.channel === channel && this.defaults.has(sender.id),
    );
    return chosen ?? this.senders.get(ENVIRONMENT_SENDER_IDS[channel])!;
  }

  /** Every sender of the channel that matches, API senders first, then the environment's. */
  async matching(
    channel: Channel,
    matches: (sender: ResolvedSender) => boolean,
  ): Promise<ResolvedSender[]> {
    await this.refresh();
    return [...this.senders.values()]
      .filter((sender) => sender.channel === channel && matches(sender))
      .sort((a, b) => (a.source === b.source ? 0 : a.source === 'api' ? -1 : 1));
  }

  /** Grows whenever a sender is added, changed or forgotten: what is built from the senders is stale. */
  get generation(): number {
    return this.changes;
  }

  /** Re-reads the rows changed since the last look; `force` skips the once-a-second limit. */
  async refresh(force = false): Promise<void> {
    if (!force && Date.now() - this.refreshedAt < DIRECTORY_REFRESH_MS) return;
    this.refreshing ??= this.load().finally(() => (this.refreshing = undefined));
    await this.refreshing;
  }

  private async load(): Promise<void> {
    const startedAt = Date.now();
    const since = new Date(this.seenUpTo.getTime() - REFRESH_OVERLAP_MS);
    const changed = await this.rows.find({
      where: this.seenUpTo.getTime() === 0 ? {} : { updatedAt: MoreThan(since) },
    });
    if (changed.length > 0) this.changes++;
    for (const row of changed) {
      const resolved = this.resolve(row);
      if (resolved) this.senders.set(row.id, resolved);
      else this.senders.delete(row.id);
      if (row.isDefault) this.defaults.add(row.id);
      else this.defaults.delete(row.id);
      if (row.updatedAt > this.seenUpTo) this.seenUpTo = row.updatedAt;
    }
    this.refreshedAt = startedAt;
  }

  /** Forgets a deleted sender at once in this process (others never route to it: no row names it). */
  forget(id: string): void {
    this.changes++;
    this.senders.delete(id);
    this.defaults.delete(id);
  }

  private resolve(row: Sender): ResolvedSender | undefined {
    const base = {
      id: row.id,
      channel: row.channel,
      name: row.name,
      source: row.source,
      status: row.status,
      rateLimitPerSecond:
        row.rateLimitPerSecond ?? this.config.outbound.rateLimitPerSecond[row.channel],
      version: row.updatedAt.getTime(),
    };
    if (row.source === 'environment') {
      const fromVariables = environmentSender(this.config, row.channel);
      return {
        ...base,
        settings: fromVariables?.settings ?? {},
        canSend: fromVariables?.canSend ?? false,
      };
    }
    try {
      const secrets = row.sealedSecrets ? this.openSecrets(row.sealedSecrets) : {};
      return {
        ...base,
        settings: SENDER_SCHEMAS[row.channel].settings({ ...row.config, ...secrets }) as Record<
          string,
          unknown
        >,
        canSend: true,
      };
    } catch (error) {
      // A key that does not open it: the sender stays out of routing and sending, named in the log.
      this.logger.error(
        { senderId: row.id, reason: (error as Error).message },
        'cannot open the secrets of this sender; it is left out until the key is set',
      );
      return undefined;
    }
  }

  private openSecrets(sealed: string): Record<string, string> {
    if (!this.secretBox) throw new Error('SENDER_SECRETS_KEY is not set');
    return this.secretBox.open<Record<string, string>>(sealed);
  }
}
