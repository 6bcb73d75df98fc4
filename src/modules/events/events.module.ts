import { Module } from '@nestjs/common';
import { EventLogModule } from './event-log.module';
import { EventRelay } from './event-relay';
import { EventSequencer } from './event-sequencer';
import { EventsController } from './events.controller';
import { EventsGateway } from './events.gateway';

/** API only: reading the log (REST) and real time (socket.io), fed by this process's relay. */
@Module({
  imports: [EventLogModule],
  controllers: [EventsController],
  providers: [EventSequencer, EventRelay, EventsGateway],
})
export class EventsModule {}
