import { Controller, HttpCode, Logger, Post, Req, UseGuards } from '@nestjs/common';
import { ApiOkResponse } from '@nestjs/swagger';
import { ApiErrorResponse } from '../../../platform/errors/api-error-response.decorator';
import { AcceptsMultipart, type FormRequest } from '../../../platform/http/multipart';
import { Public } from '../../../platform/http/public.decorator';
import { AttachmentService } from '../../attachments/attachment.service';
import { mapWebhookAck, WebhookAck } from '../dto/inbound-event.dto';
import { InboundService } from '../inbound.service';
import { toRawWebhook, type WebhookRequest } from '../webhook-request';
import { EmailBasicAuthGuard } from './email-basic-auth.guard';

/** SendGrid refuses emails over 30 MB in total; this leaves room for the form's own framing. */
const EMAIL_FORM_MAX_BYTES = 32 * 1024 * 1024;
/**
 * Text kept of the form's fields (the files are apart): 256 KiB of each (two and a half times the
 * HTML at which Gmail clips a message, and as much text as a message keeps) and 1 MiB in all.
 * The text is parsed, hashed and stored in one go, so this is what bounds the time one email
 * holds the event loop: at 2 MiB it held it over 100 ms in the full test run.
 */
const EMAIL_FORM_TEXT = { field: 256 * 1024, total: 1024 * 1024 };

@Public()
@Controller('api/webhooks/email')
export class EmailWebhookController {
  private readonly logger = new Logger(EmailWebhookController.name);

  constructor(
    private readonly inbound: InboundService,
    private readonly attachments: AttachmentService,
  ) {}

  @Post()
  @HttpCode(200)
  @ApiOkResponse({ type: WebhookAck })
  @ApiErrorResponse('unauthorized', 'HTTP Basic without EMAIL_WEBHOOK_SECRET as the password')
  @UseGuards(EmailBasicAuthGuard)
  @AcceptsMultipart({ maxBytes: EMAIL_FORM_MAX_BYTES, maxText: EMAIL_FORM_TEXT })
  async receive(@Req() request: WebhookRequest & FormRequest): Promise<WebhookAck> {
    // Once authenticated, SendGrid's files are kept; the stored event holds references to them.
    await this.attachments.keepFormFiles(request);
    const event = await this.inbound.receiveWebhook('email', toRawWebhook(request));
    if (request.cutFields?.length) {
      this.logger.warn(
        { eventId: event.id, fields: request.cutFields, keptBytes: EMAIL_FORM_TEXT },
        'email form fields cut to the text kept of a form',
      );
    }
    return mapWebhookAck(event);
  }
}
