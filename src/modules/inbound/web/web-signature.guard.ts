import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '../../../platform/config/app-config';
import { APP_CONFIG } from '../../../platform/config/config.module';
import { DomainError } from '../../../platform/errors/domain-error';
import { assertContentType, header, WebhookRequest } from '../webhook-request';
import { webSignatureProblem } from '../../../providers/standard-webhooks/web-signature';

@Injectable()
export class WebSignatureGuard implements CanActivate {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<WebhookRequest>();
    assertContentType(request, ['application/json']);
    const secret = this.config.web.secret;
    if (!secret) {
      throw new DomainError(
        'unauthorized',
        'the web webhook is not configured (WEB_WEBHOOK_SECRET) and refuses requests',
      );
    }
    const names = ['webhook-id', 'webhook-timestamp', 'webhook-signature'];
    const problem = webSignatureProblem(
      secret,
      request.rawBody ?? '',
      Object.fromEntries(names.map((name) => [name, header(request, name)])),
    );
    if (problem) throw new DomainError('unauthorized', `Standard Webhooks signature: ${problem}`);
    return true;
  }
}
