import { Module } from '@nestjs/common';
import { EventSequencer } from './event-sequencer';
import { EventsPublishedListener } from './events-published.listener';

/**
 * Publishing how far the log may be read: the API's relay and the worker's webhook dispatcher
 * both do it, so events reach sockets, readers and outgoing webhooks with either process alone.
 */
@Module({
  providers: [EventSequencer, EventsPublishedListener],
  exports: [EventSequencer, EventsPublishedListener],
})
export class EventSequencerModule {}
