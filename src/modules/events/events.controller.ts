import { Controller, Get, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { EventPage, ListEventsQuery } from './dto/event.dto';
import { EventLog } from './event-log';

@ApiTags('events')
@Controller('api/events')
export class EventsController {
  constructor(private readonly log: EventLog) {}

  @Get()
  list(@Query() query: ListEventsQuery): Promise<EventPage> {
    return this.log.listEvents(query);
  }
}
