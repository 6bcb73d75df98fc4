import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { QueryFailedError, Repository } from 'typeorm';
import type { AppConfig } from '../../platform/config/app-config';
import { APP_CONFIG } from '../../platform/config/config.module';
import type { SecretBox } from '../../platform/crypto/secret-box';
import { newId } from '../../platform/database/new-id';
import { DomainError, FieldProblem } from '../../platform/errors/domain-error';
import { fetchPage, Page } from '../../platform/http/pagination';
import { configFieldProblem } from '../../providers/sender-config';
import { CHANNELS, Channel } from '../../shared/channel';
import { ENVIRONMENT_SENDER_IDS } from '../../shared/environment-senders';
import {
  CreateSenderDto,
  ListSendersQuery,
  SenderResponse,
  UpdateSenderDto,
} from './dto/sender.dto';
import { environmentSender } from './environment-senders';
import { SenderDirectory } from './sender-directory';
import { SENDER_SECRET_BOX } from './sender-secret-box';
import { maskedConfig, SENDER_SCHEMAS, splitSecrets } from './sender-schemas';
import { Sender } from './sender.entity';

/** The REST resource /api/senders: configured numbers, accounts, mailboxes and endpoints. */
@Injectable()
export class SenderService implements OnApplicationBootstrap {
  private readonly logger = new Logger(SenderService.name);

  constructor(
    @InjectRepository(Sender) private readonly senders: Repository<Sender>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(SENDER_SECRET_BOX) private readonly secretBox: SecretBox | null,
    private readonly directory: SenderDirectory,
  ) {}

  /**
   * A key rotation's second half: secrets still sealed under SENDER_SECRETS_KEY_PREVIOUS are
   * sealed again under the current key, so the previous one can be dropped. Idempotent: several
   * processes starting at once each write a valid seal.
   */
  async onApplicationBootstrap(): Promise<void> {
    const box = this.secretBox;
    if (!box) return;
    const sealed = await this.senders.find({ where: { source: 'api' } });
    let resealed = 0;
    for (const sender of sealed) {
      const secrets = sender.sealedSecrets;
      if (!secrets || !box.isStale(secrets)) continue;
      try {
        await this.senders.update(
          { id: sender.id, sealedSecrets: secrets },
          { sealedSecrets: box.seal(box.open(secrets)) },
        );
        resealed += 1;
      } catch (error) {
        // Sealed under a key this process does not hold: the directory leaves it out and says so.
        this.logger.error(
          { senderId: sender.id, reason: (error as Error).message },
          'cannot reseal',
        );
      }
    }
    if (resealed > 0) {
      this.logger.log(
        { resealed },
        "sealed senders' secrets again under the current SENDER_SECRETS_KEY",
      );
    }
  }

  async createSender(input: CreateSenderDto): Promise<SenderResponse> {
    const box = this.requireSecretBox();
    checkConfig(input.channel, input.config);
    const { plain, secrets } = splitSecrets(input.channel, input.config);
    await this.checkAddressesFree(input.channel, plain);
    const sender = this.senders.create({
      id: newId(),
      channel: input.channel,
      name: input.name,
      source: 'api',
      config: plain as Sender['config'],
      sealedSecrets: box.seal(secrets),
      status: 'enabled',
      isDefault: input.default ?? false,
      rateLimitPerSecond: input.rate_limit_per_second ?? null,
    });
    return this.mapSender(await this.save(sender));
  }

  async listSenders(query: ListSendersQuery): Promise<Page<SenderResponse>> {
    const builder = this.senders
      .createQueryBuilder('sender')
      .where("(sender.source = 'api' OR sender.id IN (:...environment))", {
        environment: this.configuredEnvironmentSenderIds(),
      });
    if (query.channel) builder.andWhere('sender.channel = :channel', { channel: query.channel });
    const page = await fetchPage(builder, query, (sender) => sender);
    return { ...page, data: await Promise.all(page.data.map((sender) => this.mapSender(sender))) };
  }

  async getSender(id: string): Promise<SenderResponse> {
    return this.mapSender(await this.findSender(id));
  }

  async updateSender(id: string, input: UpdateSenderDto): Promise<SenderResponse> {
    const sender = this.readOnlyGuard(await this.findSender(id));
    if (input.config) {
      const box = this.requireSecretBox();
      const secrets = sender.sealedSecrets
        ? box.open<Record<string, string>>(sender.sealedSecrets)
        : {};
      const merged = { ...sender.config, ...secrets, ...input.config };
      checkConfig(sender.channel, merged);
      const split = splitSecrets(sender.channel, merged);
      await this.checkAddressesFree(sender.channel, split.plain, sender.id);
      sender.config = split.plain as Sender['config'];
      sender.sealedSecrets = box.seal(split.secrets);
    }
    if (input.name !== undefined) sender.name = input.name;
    if (input.rate_limit_per_second !== undefined) {
      sender.rateLimitPerSecond = input.rate_limit_per_second;
    }
    if (input.default !== undefined) sender.isDefault = input.default;
    if (input.status !== undefined) sender.status = input.status;
    return this.mapSender(await this.save(sender));
  }

  async deleteSender(id: string): Promise<void> {
    const sender = this.readOnlyGuard(await this.findSender(id));
    const inUse = await this.senders.manager.query(
      `SELECT 1 FROM conversations WHERE sender_id = $1 LIMIT 1`,
      [id],
    );
    if (inUse.length > 0) {
      throw new DomainError(
        'sender_in_use',
        `sender ${id} has conversations; disable it instead (PATCH status "disabled")`,
      );
    }
    await this.senders.delete({ id: sender.id });
    this.directory.forget(id);
  }

  private async findSender(id: string): Promise<Sender> {
    const sender = await this.senders.findOneBy({ id });
    const visible =
      sender && (sender.source === 'api' || this.configuredEnvironmentSenderIds().includes(id));
    if (!visible) throw DomainError.notFound('sender', id);
    return sender;
  }

  private readOnlyGuard(sender: Sender): Sender {
    if (sender.source === 'environment') {
      throw new DomainError(
        'sender_read_only',
        `sender ${sender.id} comes from the environment variables; change them, or create an API sender with "default": true`,
      );
    }
    return sender;
  }

  private requireSecretBox(): SecretBox {
    if (!this.secretBox) {
      throw new DomainError(
        'not_configured',
        "SENDER_SECRETS_KEY is not set: senders' secrets cannot be stored (openssl rand -base64 32)",
      );
    }
    return this.secretBox;
  }

  /** Saves, moving the channel's default here when asked (one default per channel). */
  /**
   * Saved, and seen at once by this process's directory: a webhook for a sender just made (the
   * replay of one that found none) is routed to it without waiting for the next refresh.
   */
  private async save(sender: Sender): Promise<Sender> {
    try {
      const saved = await this.senders.manager.transaction(async (manager) => {
        if (sender.isDefault) {
          await manager.update(
            Sender,
            { channel: sender.channel, isDefault: true },
            { isDefault: false },
          );
        }
        return manager.save(sender);
      });
      await this.directory.refresh(true);
      return saved;
    } catch (error) {
      if (error instanceof QueryFailedError && (error as { code?: string }).code === '23505') {
        throw new DomainError(
          'conflict',
          `another sender already has this WhatsApp phone_number_id (${String(sender.config.phone_number_id)})`,
        );
      }
      throw error;
    }
  }

  /** An inbound email address routes to one mailbox only. */
  private async checkAddressesFree(
    channel: Channel,
    plain: Record<string, unknown>,
    except?: string,
  ): Promise<void> {
    if (channel !== 'email') return;
    const addresses = inboundAddresses(plain);
    const taken: { id: string }[] = await this.senders.manager.query(
      `SELECT id FROM senders
        WHERE channel = 'email' AND source = 'api' AND id <> $2
          AND EXISTS (SELECT 1 FROM jsonb_array_elements_text(
                COALESCE(config->'inbound_addresses', jsonb_build_array(config->>'from_address'))) a
               WHERE lower(a) = ANY($1))`,
      [addresses, except ?? '00000000-0000-0000-0000-000000000000'],
    );
    if (taken.length > 0) {
      throw new DomainError(
        'conflict',
        `sender ${taken[0].id} already receives on one of ${addresses.join(', ')}`,
      );
    }
  }

  /** Secrets to mask; none when sealed under a key this process does not hold (logged by the directory). */
  private openForDisplay(sender: Sender): Record<string, string> {
    if (!sender.sealedSecrets || !this.secretBox) return {};
    try {
      return this.secretBox.open<Record<string, string>>(sender.sealedSecrets);
    } catch {
      return {};
    }
  }

  private configuredEnvironmentSenderIds(): string[] {
    return CHANNELS.filter((channel) => environmentSender(this.config, channel)).map(
      (channel) => ENVIRONMENT_SENDER_IDS[channel],
    );
  }

  private async mapSender(sender: Sender): Promise<SenderResponse> {
    const { plain, secrets } =
      sender.source === 'environment'
        ? (environmentSender(this.config, sender.channel) ?? { plain: {}, secrets: {} })
        : {
            plain: sender.config,
            secrets: this.openForDisplay(sender),
          };
    const isDefault =
      sender.source === 'api'
        ? sender.isDefault
        : !(await this.senders.existsBy({ channel: sender.channel, isDefault: true }));
    return {
      id: sender.id,
      channel: sender.channel,
      name: sender.name,
      config: maskedConfig(sender.channel, plain, secrets),
      status: sender.status,
      default: isDefault,
      rate_limit_per_second:
        sender.rateLimitPerSecond ?? this.config.outbound.rateLimitPerSecond[sender.channel],
      source: sender.source,
      last_success_at: sender.lastSuccessAt?.toISOString() ?? null,
      last_error: sender.lastError,
      last_error_at: sender.lastErrorAt?.toISOString() ?? null,
      created_at: sender.createdAt.toISOString(),
    };
  }
}

/** Unknown, missing and malformed fields, all named at once. */
function checkConfig(channel: Channel, config: Record<string, unknown>): void {
  const schema = SENDER_SCHEMAS[channel];
  const problems: FieldProblem[] = [];
  for (const name of Object.keys(config)) {
    if (!schema.fields[name]) {
      problems.push({
        field: `config.${name}`,
        message: `config.${name} is not a ${channel} sender field (known: ${Object.keys(schema.fields).join(', ')})`,
      });
    }
  }
  for (const [name, field] of Object.entries(schema.fields)) {
    const problem = configFieldProblem(name, field, config[name]);
    if (problem) problems.push({ field: `config.${name}`, message: problem });
  }
  if (problems.length === 0) {
    for (const message of schema.check?.(config) ?? []) {
      problems.push({ field: message.split(' ')[0], message });
    }
  }
  if (problems.length > 0) throw DomainError.invalidFields(problems);
}

function inboundAddresses(plain: Record<string, unknown>): string[] {
  const list = (plain.inbound_addresses as string[] | undefined) ?? [plain.from_address as string];
  return list.map((address) => address.toLowerCase());
}
