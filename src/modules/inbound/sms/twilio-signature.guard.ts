import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '../../../platform/config/app-config';
import { APP_CONFIG } from '../../../platform/config/config.module';
import { DomainError } from '../../../platform/errors/domain-error';
import { assertContentType, header, WebhookRequest } from '../webhook-request';
import { isValidTwilioSignature } from '../../../providers/twilio/twilio-signature';

/** Twilio signs the URL it was configured with: ours is PUBLIC_BASE_URL plus the request path. */
@Injectable()
export class TwilioSignatureGuard implements CanActivate {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<WebhookRequest>();
    assertContentType(request, ['application/x-www-form-urlencoded']);
    const authToken = this.config.sms?.authToken;
    if (!authToken) {
      throw new DomainError(
        'forbidden',
        'the SMS webhook is not configured (TWILIO_AUTH_TOKEN) and refuses requests',
      );
    }
    const signature = header(request, 'x-twilio-signature');
    if (!signature) throw new DomainError('forbidden', 'X-Twilio-Signature is missing');
    const url = `${this.config.publicBaseUrl}${request.url}`;
    const params = (request.body ?? {}) as Record<string, unknown>;
    if (!isValidTwilioSignature(authToken, signature, url, params)) {
      throw new DomainError('forbidden', 'X-Twilio-Signature does not match this URL and body');
    }
    return true;
  }
}
