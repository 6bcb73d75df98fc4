import { Controller, Get, Header, HttpCode, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiOkResponse } from '@nestjs/swagger';
import { ApiErrorResponse } from '../../../platform/errors/api-error-response.decorator';
import { Public } from '../../../platform/http/public.decorator';
import { mapWebhookAck, WebhookAck } from '../dto/inbound-event.dto';
import { InboundRouter } from '../inbound-router';
import { InboundService } from '../inbound.service';
import { toRawWebhook, type WebhookRequest } from '../webhook-request';
import { WhatsappSignatureGuard } from './whatsapp-signature.guard';
import { answerSubscription } from '../../../providers/whatsapp-cloud/whatsapp-subscription';

@Public()
@Controller('api/webhooks/whatsapp')
export class WhatsappWebhookController {
  constructor(
    private readonly inbound: InboundService,
    private readonly router: InboundRouter,
  ) {}

  @Get()
  @Header('content-type', 'text/plain; charset=utf-8')
  @ApiErrorResponse('validation_failed', 'hub.challenge is missing')
  @ApiErrorResponse('forbidden', 'hub.mode is not subscribe or hub.verify_token is wrong')
  async subscribe(@Query() query: Record<string, unknown>): Promise<string> {
    return answerSubscription(query, await this.router.verifyTokens());
  }

  @Post()
  @HttpCode(200)
  @ApiOkResponse({ type: WebhookAck })
  @ApiErrorResponse('unauthorized', 'X-Hub-Signature-256 is missing or does not match the body')
  @UseGuards(WhatsappSignatureGuard)
  async receive(@Req() request: WebhookRequest): Promise<WebhookAck> {
    return mapWebhookAck(
      await this.inbound.receiveWebhook('whatsapp', toRawWebhook(request), request.route),
    );
  }
}
