import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { AppConfig } from '../../../platform/config/app-config';
import { APP_CONFIG } from '../../../platform/config/config.module';
import { DomainError } from '../../../platform/errors/domain-error';
import { assertContentType, header, WebhookRequest } from '../webhook-request';
import { isValidBasicAuth } from '../../../providers/sendgrid-inbound/email-basic-auth';

@Injectable()
export class EmailBasicAuthGuard implements CanActivate {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<WebhookRequest>();
    assertContentType(request, ['multipart/form-data', 'application/json']);
    const secret = this.config.emailWebhookSecret;
    if (!secret) {
      throw new DomainError(
        'unauthorized',
        'the email webhook is not configured (EMAIL_WEBHOOK_SECRET) and refuses requests',
      );
    }
    if (!isValidBasicAuth(header(request, 'authorization'), secret)) {
      void context
        .switchToHttp()
        .getResponse<FastifyReply>()
        .header('www-authenticate', 'Basic realm="inbound email"');
      throw new DomainError(
        'unauthorized',
        'HTTP Basic credentials with EMAIL_WEBHOOK_SECRET as password are required',
      );
    }
    return true;
  }
}
