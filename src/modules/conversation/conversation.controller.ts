import { Body, Controller, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse } from '@nestjs/swagger';
import { ApiErrorResponse } from '../../platform/errors/api-error-response.decorator';
import { Page, PageOf } from '../../platform/http/pagination';
import { IdParam } from '../../platform/http/id-param';
import { agentIdOf, CurrentCaller } from '../agents/auth/caller';
import type { Caller } from '../agents/auth/caller';
import { ConversationService } from './conversation.service';
import {
  ConversationResponse,
  ListedConversationResponse,
  CreateConversationDto,
  ListConversationsQuery,
  mapConversation,
  UpdateConversationDto,
} from './dto/conversation.dto';

@Controller('api/conversations')
export class ConversationController {
  constructor(private readonly conversations: ConversationService) {}

  @Post()
  @ApiCreatedResponse({ type: ConversationResponse })
  @ApiErrorResponse('not_found', 'no customer has that customer_id')
  @ApiErrorResponse('conflict', 'the customer already has an open conversation on that channel')
  async create(@Body() body: CreateConversationDto): Promise<ConversationResponse> {
    return mapConversation(await this.conversations.openConversation(body));
  }

  @Get()
  @ApiOkResponse({ type: PageOf(ListedConversationResponse) })
  list(
    @Query() query: ListConversationsQuery,
    @CurrentCaller() caller: Caller,
  ): Promise<Page<ListedConversationResponse>> {
    return this.conversations.listConversations(query, agentIdOf(caller));
  }

  @Get(':id')
  @ApiOkResponse({ type: ConversationResponse })
  async get(@IdParam() id: string): Promise<ConversationResponse> {
    return mapConversation(await this.conversations.getConversation(id));
  }

  @Patch(':id')
  @ApiOkResponse({ type: ConversationResponse })
  @ApiErrorResponse('conflict', 'reopening it would make a second open conversation on the channel')
  async update(
    @IdParam() id: string,
    @Body() body: UpdateConversationDto,
  ): Promise<ConversationResponse> {
    return mapConversation(await this.conversations.updateConversation(id, body));
  }

  @Post(':id/read')
  @HttpCode(200)
  @ApiOkResponse({ type: ConversationResponse, description: 'read: unread_count is 0' })
  async markRead(@IdParam() id: string): Promise<ConversationResponse> {
    return mapConversation(await this.conversations.markRead(id));
  }
}
