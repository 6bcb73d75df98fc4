import { Module } from '@nestjs/common';
import { AttachmentsModule } from './attachments.module';
import { MediaFetchProcessor } from './media-fetch.processor';

/** Worker only: the consumer of the media fetch queue. */
@Module({
  imports: [AttachmentsModule],
  providers: [MediaFetchProcessor],
})
export class MediaFetchModule {}
