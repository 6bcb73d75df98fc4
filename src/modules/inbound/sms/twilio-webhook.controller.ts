import { Controller, Header, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { ApiErrorResponse } from '../../../platform/errors/api-error-response.decorator';
import { BodyLimit } from '../../../platform/http/body-limit';
import { Public } from '../../../platform/http/public.decorator';
import { InboundService } from '../inbound.service';
import { toRawWebhook, type WebhookRequest } from '../webhook-request';
import { TwilioSignatureGuard } from './twilio-signature.guard';

/** TwiML that sends no reply; an empty or non-XML body shows up as an error in Twilio's console. */
const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';
/** A Twilio form is a few KB (an SMS body is at most 1 600 characters, an MMS ten media URLs). */
const TWILIO_FORM_MAX_BYTES = 64 * 1024;

@Public()
@Controller('api/webhooks/sms')
@ApiErrorResponse('forbidden', 'X-Twilio-Signature is missing or does not match this URL and body')
@UseGuards(TwilioSignatureGuard)
export class TwilioWebhookController {
  constructor(private readonly inbound: InboundService) {}

  @Post()
  @BodyLimit(TWILIO_FORM_MAX_BYTES)
  @HttpCode(200)
  @Header('content-type', 'text/xml; charset=utf-8')
  async receive(@Req() request: WebhookRequest): Promise<string> {
    await this.inbound.receiveWebhook('sms', toRawWebhook(request), request.route);
    return EMPTY_TWIML;
  }

  @Post('status')
  @BodyLimit(TWILIO_FORM_MAX_BYTES)
  @HttpCode(200)
  @Header('content-type', 'text/xml; charset=utf-8')
  async status(@Req() request: WebhookRequest): Promise<string> {
    await this.inbound.receiveWebhook('sms_status', toRawWebhook(request), request.route);
    return EMPTY_TWIML;
  }
}
