import { Controller, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { ApiOkResponse } from '@nestjs/swagger';
import { ApiErrorResponse } from '../../../platform/errors/api-error-response.decorator';
import { Public } from '../../../platform/http/public.decorator';
import { mapWebhookAck, WebhookAck } from '../dto/inbound-event.dto';
import { InboundService } from '../inbound.service';
import { toRawWebhook, type WebhookRequest } from '../webhook-request';
import { WebSignatureGuard } from './web-signature.guard';

@Public()
@Controller('api/webhooks/web')
export class WebWebhookController {
  constructor(private readonly inbound: InboundService) {}

  /** The environment's web sender (WEB_WEBHOOK_SECRET). */
  @Post()
  @HttpCode(200)
  @ApiOkResponse({ type: WebhookAck })
  @ApiErrorResponse('unauthorized', 'the Standard Webhooks signature is missing, stale or wrong')
  @UseGuards(WebSignatureGuard)
  receive(@Req() request: WebhookRequest): Promise<WebhookAck> {
    return this.store(request);
  }

  /** One web sender of several, signed with its own secret. */
  @Post(':senderId')
  @HttpCode(200)
  @ApiOkResponse({ type: WebhookAck })
  @ApiErrorResponse('unauthorized', 'the Standard Webhooks signature is missing, stale or wrong')
  @ApiErrorResponse('not_found', 'no web sender has this id')
  @UseGuards(WebSignatureGuard)
  receiveForSender(@Req() request: WebhookRequest): Promise<WebhookAck> {
    return this.store(request);
  }

  private async store(request: WebhookRequest): Promise<WebhookAck> {
    return mapWebhookAck(
      await this.inbound.receiveWebhook('web', toRawWebhook(request), request.route),
    );
  }
}
