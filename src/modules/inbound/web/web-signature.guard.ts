import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { DomainError } from '../../../platform/errors/domain-error';
import { InboundRouter } from '../inbound-router';
import { assertContentType, header, WebhookRequest } from '../webhook-request';
import { webSignatureProblem } from '../../../providers/standard-webhooks/web-signature';

/**
 * `/api/webhooks/web/{sender_id}` is signed with that sender's secret; the path without an id is
 * the environment's web sender (WEB_WEBHOOK_SECRET), as before senders existed.
 */
@Injectable()
export class WebSignatureGuard implements CanActivate {
  constructor(private readonly router: InboundRouter) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<WebhookRequest>();
    assertContentType(request, ['application/json']);
    const senderId = (request.params as { senderId?: string }).senderId ?? null;
    request.route = await this.router.route('web', request.body, senderId);
    if (!request.route.sender) {
      if (senderId !== null) throw DomainError.notFound('web sender', senderId);
      throw new DomainError(
        'unauthorized',
        'the web webhook is not configured (WEB_WEBHOOK_SECRET) and refuses requests',
      );
    }
    const [secret] = await this.router.signingSecrets('web', request.route);
    if (!secret) throw new DomainError('unauthorized', 'this web sender has no secret');
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
