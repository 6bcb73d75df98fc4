import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '../../platform/config/app-config';
import { APP_CONFIG } from '../../platform/config/config.module';
import type { Channel } from '../../shared/channel';
import { ENVIRONMENT_SENDER_IDS } from '../../shared/environment-senders';
import { ResolvedSender, SenderDirectory } from '../senders/sender-directory';
import type { InboundProvider } from './inbound-provider';
import { claimKeys, lookupKeys, RouteKey, routeKeyOf, routeSender } from './inbound-routing';

/** Where a webhook goes: its key, and the sender that takes it (none: kept failed). */
export interface Route {
  key: RouteKey;
  sender: ResolvedSender | undefined;
}

/** The setting that authenticates a channel's webhooks (email: EMAIL_WEBHOOK_SECRET for all). */
const INBOUND_SECRET: Record<Exclude<Channel, 'email'>, string> = {
  whatsapp: 'appSecret',
  sms: 'authToken',
  web: 'secret',
};

/** Each channel's senders by what they answer to (claimKeys), for one directory generation. */
interface RouteIndex {
  generation: number;
  byChannel: Map<Channel, Map<string, ResolvedSender[]>>;
}

/**
 * Routes webhooks to senders from the in-memory directory, so routing costs no query, through an
 * index rebuilt when the directory changes, so the 1 000th number routes as fast as the first.
 * The guards route before checking a signature (the sender's secret signs it); intake and replay
 * route the stored text again the same way.
 */
@Injectable()
export class InboundRouter {
  private index?: RouteIndex;

  constructor(
    private readonly directory: SenderDirectory,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** `body` as the request parsed it, or decodeStored() of a kept event. */
  async route(
    provider: InboundProvider,
    body: unknown,
    webSenderId: string | null = null,
  ): Promise<Route> {
    const key = routeKeyOf(provider, body, webSenderId);
    const byKey = (await this.currentIndex()).byChannel.get(key.channel);
    const candidates = [...new Set(lookupKeys(key).flatMap((value) => byKey?.get(value) ?? []))];
    const environment = await this.directory.find(ENVIRONMENT_SENDER_IDS[key.channel]);
    return { key, sender: routeSender(key, candidates, this.inboundFallback(environment)) };
  }

  private async currentIndex(): Promise<RouteIndex> {
    await this.directory.refresh();
    if (this.index?.generation === this.directory.generation) return this.index;
    const generation = this.directory.generation;
    const byChannel = new Map<Channel, Map<string, ResolvedSender[]>>();
    for (const channel of ['whatsapp', 'sms', 'email', 'web'] as const) {
      const byKey = new Map<string, ResolvedSender[]>();
      for (const sender of await this.directory.matching(channel, () => true)) {
        for (const value of claimKeys(sender))
          byKey.set(value, [...(byKey.get(value) ?? []), sender]);
      }
      byChannel.set(channel, byKey);
    }
    this.index = { generation, byChannel };
    return this.index;
  }

  /**
   * The secrets that may sign a webhook: its sender's; when none takes it, any of the channel's,
   * so that a number not set up yet (a new number of a Meta app we know) is kept for a replay
   * while a webhook nobody we know signed is still refused.
   */
  async signingSecrets(channel: Exclude<Channel, 'email'>, route: Route): Promise<string[]> {
    // An environment sender holds its secret only when the variables configure its inbound.
    const senders = route.sender
      ? [route.sender]
      : await this.directory.matching(channel, () => true);
    return senders
      .map((sender) => sender.settings[INBOUND_SECRET[channel]])
      .filter((secret): secret is string => typeof secret === 'string' && secret !== '');
  }

  /** Every WhatsApp sender's verify token, for Meta's subscribe handshake. */
  async verifyTokens(): Promise<string[]> {
    return (await this.directory.matching('whatsapp', () => true))
      .map((sender) => sender.settings.verifyToken)
      .filter((token): token is string => typeof token === 'string' && token !== '');
  }

  /** The environment sender, when its variables configure its channel's inbound. */
  private inboundFallback(environment: ResolvedSender | null): ResolvedSender | undefined {
    if (!environment) return undefined;
    const { channel } = environment;
    const configured =
      channel === 'email'
        ? Boolean(this.config.emailWebhookSecret)
        : Boolean(environment.settings[INBOUND_SECRET[channel]]);
    return configured ? environment : undefined;
  }
}
