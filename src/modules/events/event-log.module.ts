import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { EventLog } from './event-log';
import { EventRecord } from './event-record.entity';

/** Appending to the event log: imported by every module that changes state, in both processes. */
@Module({
  imports: [TypeOrmModule.forFeature([EventRecord])],
  providers: [EventLog],
  exports: [EventLog],
})
export class EventLogModule {}
