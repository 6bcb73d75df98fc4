import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '../../../platform/config/app-config';
import { APP_CONFIG } from '../../../platform/config/config.module';
import { DomainError } from '../../../platform/errors/domain-error';
import { InboundRouter } from '../inbound-router';
import { assertContentType, header, WebhookRequest } from '../webhook-request';
import { isValidTwilioSignature } from '../../../providers/twilio/twilio-signature';

/**
 * Routes by AccountSid and our number, then checks the signature with that account's auth token.
 * Twilio signs the URL it was configured with: ours is PUBLIC_BASE_URL plus the request path.
 */
@Injectable()
export class TwilioSignatureGuard implements CanActivate {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly router: InboundRouter,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<WebhookRequest>();
    assertContentType(request, ['application/x-www-form-urlencoded']);
    const provider = request.url.split('?')[0].endsWith('/status') ? 'sms_status' : 'sms';
    request.route = await this.router.route(provider, request.body);
    const authTokens = await this.router.signingSecrets('sms', request.route);
    if (authTokens.length === 0) {
      throw new DomainError(
        'forbidden',
        'the SMS webhook is not configured (no sender, nor TWILIO_AUTH_TOKEN) and refuses requests',
      );
    }
    const signature = header(request, 'x-twilio-signature');
    if (!signature) throw new DomainError('forbidden', 'X-Twilio-Signature is missing');
    const url = `${this.config.publicBaseUrl}${request.url}`;
    const params = (request.body ?? {}) as Record<string, unknown>;
    if (!authTokens.some((token) => isValidTwilioSignature(token, signature, url, params))) {
      throw new DomainError('forbidden', 'X-Twilio-Signature does not match this URL and body');
    }
    return true;
  }
}
