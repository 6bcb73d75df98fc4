import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '../../../platform/config/app-config';
import { APP_CONFIG } from '../../../platform/config/config.module';
import { DomainError } from '../../../platform/errors/domain-error';
import { assertContentType, header, WebhookRequest } from '../webhook-request';
import { isValidWhatsappSignature } from '../../../providers/whatsapp-cloud/whatsapp-signature';

@Injectable()
export class WhatsappSignatureGuard implements CanActivate {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<WebhookRequest>();
    assertContentType(request, ['application/json']);
    const secret = this.config.whatsapp.appSecret;
    if (!secret) {
      throw new DomainError(
        'unauthorized',
        'the WhatsApp webhook is not configured (WHATSAPP_APP_SECRET) and refuses requests',
      );
    }
    const signature = header(request, 'x-hub-signature-256');
    if (!signature) throw new DomainError('unauthorized', 'X-Hub-Signature-256 is missing');
    if (!request.rawBody || !isValidWhatsappSignature(secret, request.rawBody, signature)) {
      throw new DomainError('unauthorized', 'X-Hub-Signature-256 does not match the body');
    }
    return true;
  }
}
