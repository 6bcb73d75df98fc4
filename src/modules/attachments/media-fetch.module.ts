import { Module } from '@nestjs/common';
import { DatabaseOutage } from '../../platform/database/database-outage';
import { AttachmentsModule } from './attachments.module';
import { MediaFetchProcessor } from './media-fetch.processor';

/** Worker only: the consumer of the media fetch queue. */
@Module({
  imports: [AttachmentsModule],
  providers: [DatabaseOutage, MediaFetchProcessor],
})
export class MediaFetchModule {}
