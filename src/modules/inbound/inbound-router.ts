import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '../../platform/config/app-config';
import { APP_CONFIG } from '../../platform/config/config.module';
import type { Channel } from '../../shared/channel';
import { ENVIRONMENT_SENDER_IDS } from '../../shared/environment-senders';
import { ResolvedSender, SenderDirectory } from '../senders/sender-directory';
import type { InboundProvider } from './inbound-provider';
import { RouteKey, routeKeyOf, routeSender } from './inbound-routing';

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

/**
 * Routes webhooks to senders from the in-memory directory, so routing costs no query. The guards
 * route before checking a signature (the sender's secret signs it), intake and replay route the
 * stored text again the same way.
 */
@Injectable()
export class InboundRouter {
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
    const senders = await this.directory.matching(key.channel, () => true);
    return { key, sender: routeSender(key, senders, this.inboundFallback(key.channel, senders)) };
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

  /** The environment sender, when its variables configure the channel's inbound. */
  private inboundFallback(channel: Channel, senders: ResolvedSender[]): ResolvedSender | undefined {
    const environment = senders.find((sender) => sender.id === ENVIRONMENT_SENDER_IDS[channel]);
    if (!environment) return undefined;
    const configured =
      channel === 'email'
        ? Boolean(this.config.emailWebhookSecret)
        : Boolean(environment.settings[INBOUND_SECRET[channel]]);
    return configured ? environment : undefined;
  }
}
