import { Controller, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { ApiOkResponse } from '@nestjs/swagger';
import { ApiErrorResponse } from '../../../platform/errors/api-error-response.decorator';
import { AcceptsMultipart } from '../../../platform/http/multipart';
import { Public } from '../../../platform/http/public.decorator';
import { AttachmentService } from '../../attachments/attachment.service';
import { mapWebhookAck, WebhookAck } from '../dto/inbound-event.dto';
import { InboundService } from '../inbound.service';
import { toRawWebhook, type WebhookRequest } from '../webhook-request';
import { EmailBasicAuthGuard } from './email-basic-auth.guard';

/** SendGrid refuses emails over 30 MB in total; this leaves room for the form's own framing. */
const EMAIL_FORM_MAX_BYTES = 32 * 1024 * 1024;

@Public()
@Controller('api/webhooks/email')
export class EmailWebhookController {
  constructor(
    private readonly inbound: InboundService,
    private readonly attachments: AttachmentService,
  ) {}

  @Post()
  @HttpCode(200)
  @ApiOkResponse({ type: WebhookAck })
  @ApiErrorResponse('unauthorized', 'HTTP Basic without EMAIL_WEBHOOK_SECRET as the password')
  @UseGuards(EmailBasicAuthGuard)
  @AcceptsMultipart({ maxBytes: EMAIL_FORM_MAX_BYTES })
  async receive(@Req() request: WebhookRequest): Promise<WebhookAck> {
    // Once authenticated, SendGrid's files are kept; the stored event holds references to them.
    await this.attachments.keepFormFiles(request);
    return mapWebhookAck(await this.inbound.receiveWebhook('email', toRawWebhook(request)));
  }
}
