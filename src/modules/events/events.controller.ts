import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponse } from '../../platform/errors/api-error-response.decorator';
import { PageOf } from '../../platform/http/pagination';
import { EventPage, EventResponse, ListEventsQuery } from './dto/event.dto';
import { EventLog } from './event-log';

@ApiTags('events')
@Controller('api/events')
export class EventsController {
  constructor(private readonly log: EventLog) {}

  @Get()
  @ApiOkResponse({ type: PageOf(EventResponse) })
  @ApiErrorResponse(
    'events_pruned',
    'events after `after` were removed by retention; the body names oldest_seq',
  )
  list(@Query() query: ListEventsQuery): Promise<EventPage> {
    return this.log.listEvents(query);
  }
}
