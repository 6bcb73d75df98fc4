import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { PageOf } from '../../platform/http/pagination';
import { EventPage, EventResponse, ListEventsQuery } from './dto/event.dto';
import { EventLog } from './event-log';

@ApiTags('events')
@Controller('api/events')
export class EventsController {
  constructor(private readonly log: EventLog) {}

  @Get()
  @ApiOkResponse({ type: PageOf(EventResponse) })
  list(@Query() query: ListEventsQuery): Promise<EventPage> {
    return this.log.listEvents(query);
  }
}
