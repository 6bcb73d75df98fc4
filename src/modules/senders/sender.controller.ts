import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse } from '@nestjs/swagger';
import { ApiErrorResponse } from '../../platform/errors/api-error-response.decorator';
import { IdParam } from '../../platform/http/id-param';
import { Page, PageOf } from '../../platform/http/pagination';
import {
  CreateSenderDto,
  ListSendersQuery,
  SenderResponse,
  UpdateSenderDto,
} from './dto/sender.dto';
import { SenderService } from './sender.service';

@Controller('api/senders')
export class SenderController {
  constructor(private readonly senders: SenderService) {}

  @Post()
  @ApiCreatedResponse({ type: SenderResponse })
  @ApiErrorResponse('validation_failed', 'a config field is unknown, missing or malformed')
  @ApiErrorResponse('conflict', 'another sender has this phone_number_id or inbound address')
  @ApiErrorResponse('service_unavailable', 'SENDER_SECRETS_KEY is not set')
  create(@Body() body: CreateSenderDto): Promise<SenderResponse> {
    return this.senders.createSender(body);
  }

  @Get()
  @ApiOkResponse({ type: PageOf(SenderResponse) })
  list(@Query() query: ListSendersQuery): Promise<Page<SenderResponse>> {
    return this.senders.listSenders(query);
  }

  @Get(':id')
  @ApiOkResponse({ type: SenderResponse })
  get(@IdParam() id: string): Promise<SenderResponse> {
    return this.senders.getSender(id);
  }

  @Patch(':id')
  @ApiOkResponse({ type: SenderResponse })
  @ApiErrorResponse('sender_read_only', 'an environment sender changes with its variables')
  update(@IdParam() id: string, @Body() body: UpdateSenderDto): Promise<SenderResponse> {
    return this.senders.updateSender(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse()
  @ApiErrorResponse('sender_in_use', 'conversations use it: disable it instead')
  @ApiErrorResponse('sender_read_only', 'an environment sender changes with its variables')
  remove(@IdParam() id: string): Promise<void> {
    return this.senders.deleteSender(id);
  }
}
