import { Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiOkResponse } from '@nestjs/swagger';
import { ApiErrorResponse } from '../../platform/errors/api-error-response.decorator';
import { IdParam } from '../../platform/http/id-param';
import { ListOf, Page, PageOf } from '../../platform/http/pagination';
import {
  InboundEventResponse,
  ListInboundEventsQuery,
  mapInboundEvent,
  ReplayWindowQuery,
} from './dto/inbound-event.dto';
import { InboundService } from './inbound.service';

/** Raw webhooks as kept, and their replay; behind the API key like the rest of /api. */
@Controller('api/inbound-events')
export class InboundEventController {
  constructor(private readonly inbound: InboundService) {}

  @Get()
  @ApiOkResponse({ type: PageOf(InboundEventResponse) })
  list(@Query() query: ListInboundEventsQuery): Promise<Page<InboundEventResponse>> {
    return this.inbound.listEvents(query);
  }

  @Post('replay')
  @HttpCode(200)
  @ApiOkResponse({
    type: ListOf(InboundEventResponse),
    description:
      'the unprocessed events received in the window, oldest first, after processing them again',
  })
  async replayWindow(@Query() query: ReplayWindowQuery): Promise<{ data: InboundEventResponse[] }> {
    const to = query.to ? new Date(query.to) : new Date();
    const events = await this.inbound.replayWindow(new Date(query.from), to);
    return { data: events.map(mapInboundEvent) };
  }

  @Get(':id')
  @ApiOkResponse({ type: InboundEventResponse })
  async get(@IdParam() id: string): Promise<InboundEventResponse> {
    return mapInboundEvent(await this.inbound.getEvent(id));
  }

  @Post(':id/replay')
  @HttpCode(200)
  @ApiOkResponse({
    type: InboundEventResponse,
    description: 'the failed or unprocessed event after processing it again',
  })
  @ApiErrorResponse('invalid_state', 'the event is already processed')
  async replay(@IdParam() id: string): Promise<InboundEventResponse> {
    return mapInboundEvent(await this.inbound.replayEvent(id));
  }
}
