import { Body, Controller, Get, Headers, HttpCode, Post, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiCreatedResponse, ApiHeader, ApiOkResponse } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiErrorResponse } from '../../platform/errors/api-error-response.decorator';
import { DomainError } from '../../platform/errors/domain-error';
import { ListOf, Page, PageOf, PageQuery } from '../../platform/http/pagination';
import { IdParam } from '../../platform/http/id-param';
import {
  AttemptResponse,
  CreateMessageDto,
  ListMessagesQuery,
  MessageResponse,
} from './dto/message.dto';
import { ReceiptResponse } from './dto/receipt.dto';
import { MessageService } from './message.service';
import { ReceiptService } from './receipt.service';

/** 1 to 255 printable ASCII characters. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

@Controller('api')
export class MessageController {
  constructor(
    private readonly messages: MessageService,
    private readonly receiptService: ReceiptService,
  ) {}

  @Post('messages')
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'repeat-safe sends' })
  @ApiAcceptedResponse({ type: MessageResponse, description: 'outbound: stored and queued' })
  @ApiCreatedResponse({ type: MessageResponse, description: 'inbound: stored, not sent' })
  @ApiErrorResponse('not_found', 'no conversation has that conversation_id')
  @ApiErrorResponse('invalid_state', 'the conversation changed while the message was stored; retry')
  @ApiErrorResponse(
    ['whatsapp_window_closed', 'channel_mismatch', 'idempotency_key_reused'],
    'outside the WhatsApp reply window (send a template), a channel other than the conversation’s, or an Idempotency-Key reused with another body',
  )
  async create(
    @Body() body: CreateMessageDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<MessageResponse> {
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw DomainError.invalidField(
        'Idempotency-Key',
        'Idempotency-Key must be 1 to 255 printable ASCII characters',
      );
    }
    const created = await this.messages.createMessage(body, idempotencyKey);
    reply.status(created.statusCode);
    return created.body;
  }

  @Get('messages')
  @ApiOkResponse({ type: PageOf(MessageResponse) })
  list(@Query() query: ListMessagesQuery): Promise<Page<MessageResponse>> {
    return this.messages.listMessages(query);
  }

  @Get('messages/:id')
  @ApiOkResponse({ type: MessageResponse })
  async get(@IdParam() id: string): Promise<MessageResponse> {
    return this.messages.describeMessage(await this.messages.getMessage(id));
  }

  @Get('messages/:id/attempts')
  @ApiOkResponse({ type: ListOf(AttemptResponse), description: 'every try, oldest first' })
  async attempts(@IdParam() id: string): Promise<{ data: AttemptResponse[] }> {
    return { data: await this.messages.listAttempts(id) };
  }

  @Get('messages/:id/receipts')
  @ApiOkResponse({ type: ListOf(ReceiptResponse) })
  async receipts(@IdParam() id: string): Promise<{ data: ReceiptResponse[] }> {
    return { data: await this.receiptService.listReceipts(id) };
  }

  @Post('messages/:id/retry')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: MessageResponse, description: 'queued for a fresh round' })
  @ApiErrorResponse('invalid_state', 'only failed or expired outbound messages can be retried')
  async retry(@IdParam() id: string): Promise<MessageResponse> {
    return this.messages.describeMessage(await this.messages.retryMessage(id));
  }

  @Get('conversations/:id/messages')
  @ApiOkResponse({ type: PageOf(MessageResponse) })
  conversationMessages(
    @IdParam() id: string,
    @Query() page: PageQuery,
  ): Promise<Page<MessageResponse>> {
    return this.messages.listConversationMessages(id, page);
  }
}
