import { Module } from '@nestjs/common';
import { DatabaseOutage } from '../../platform/database/database-outage';
import { AttachmentsModule } from './attachments.module';
import { MediaFetchProcessor } from './media-fetch.processor';
import { SendersModule } from '../senders/senders.module';

/** Worker only: the consumer of the media fetch queue. */
@Module({
  imports: [AttachmentsModule, SendersModule],
  providers: [DatabaseOutage, MediaFetchProcessor],
})
export class MediaFetchModule {}
