import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { DomainError } from '../../../platform/errors/domain-error';
import { InboundRouter } from '../inbound-router';
import { assertContentType, header, WebhookRequest } from '../webhook-request';
import { isValidWhatsappSignature } from '../../../providers/whatsapp-cloud/whatsapp-signature';

/** Routes by phone_number_id, then checks the signature with that sender's app secret. */
@Injectable()
export class WhatsappSignatureGuard implements CanActivate {
  constructor(private readonly router: InboundRouter) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<WebhookRequest>();
    assertContentType(request, ['application/json']);
    request.route = await this.router.route('whatsapp', request.body);
    const secrets = await this.router.signingSecrets('whatsapp', request.route);
    if (secrets.length === 0) {
      throw new DomainError(
        'unauthorized',
        'the WhatsApp webhook is not configured (no sender with an app secret, nor WHATSAPP_APP_SECRET) and refuses requests',
      );
    }
    const signature = header(request, 'x-hub-signature-256');
    if (!signature) throw new DomainError('unauthorized', 'X-Hub-Signature-256 is missing');
    const body = request.rawBody;
    if (!body || !secrets.some((secret) => isValidWhatsappSignature(secret, body, signature))) {
      throw new DomainError('unauthorized', 'X-Hub-Signature-256 does not match the body');
    }
    return true;
  }
}
