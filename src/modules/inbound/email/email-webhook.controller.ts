import { Controller, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { ApiOkResponse } from '@nestjs/swagger';
import { ApiErrorResponse } from '../../../platform/errors/api-error-response.decorator';
import { AcceptsMultipart } from '../../../platform/http/multipart';
import { Public } from '../../../platform/http/public.decorator';
import { mapWebhookAck, WebhookAck } from '../dto/inbound-event.dto';
import { InboundService } from '../inbound.service';
import { toRawWebhook, type WebhookRequest } from '../webhook-request';
import { EmailBasicAuthGuard } from './email-basic-auth.guard';

/**
 * SendGrid refuses emails over 30 MB in total; this leaves room for the form's own framing.
 * Attachments are drained unread (their names and types arrive in the attachment-info field).
 */
const EMAIL_FORM_MAX_BYTES = 32 * 1024 * 1024;

@Public()
@Controller('api/webhooks/email')
export class EmailWebhookController {
  constructor(private readonly inbound: InboundService) {}

  @Post()
  @HttpCode(200)
  @ApiOkResponse({ type: WebhookAck })
  @ApiErrorResponse('unauthorized', 'HTTP Basic without EMAIL_WEBHOOK_SECRET as the password')
  @UseGuards(EmailBasicAuthGuard)
  @AcceptsMultipart({ maxBytes: EMAIL_FORM_MAX_BYTES })
  async receive(@Req() request: WebhookRequest): Promise<WebhookAck> {
    return mapWebhookAck(await this.inbound.receiveWebhook('email', toRawWebhook(request)));
  }
}
