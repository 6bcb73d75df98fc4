import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { OUTBOUND_QUEUE } from './queue-names';
import { QueueProducerConfig } from './queue-producer-config';

const queues = Object.values(OUTBOUND_QUEUE).map((name) => BullModule.registerQueue({ name }));

/** Producer side of the outbound queues; only the worker registers processors. */
@Module({
  imports: [BullModule.forRootAsync({ useClass: QueueProducerConfig }), ...queues],
  exports: queues,
})
export class QueueModule {}
