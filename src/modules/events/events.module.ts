import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { EventLogModule } from './event-log.module';
import { EventRelay } from './event-relay';
import { EventSequencerModule } from './event-sequencer.module';
import { EventsController } from './events.controller';
import { EventsGateway } from './events.gateway';

/** API only: reading the log (REST) and real time (socket.io), fed by this process's relay. */
@Module({
  imports: [EventLogModule, EventSequencerModule, AgentsModule],
  controllers: [EventsController],
  providers: [EventRelay, EventsGateway],
})
export class EventsModule {}
