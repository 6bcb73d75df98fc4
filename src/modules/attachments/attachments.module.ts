import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { AppConfig } from '../../platform/config/app-config';
import { APP_CONFIG } from '../../platform/config/config.module';
import { MEDIA_FETCH_QUEUE } from '../../platform/queue/queue-names';
import { QueueModule } from '../../platform/queue/queue.module';
import { AttachmentController } from './attachment.controller';
import { Attachment } from './attachment.entity';
import { AttachmentService } from './attachment.service';
import { MediaUrlSigner } from './media-url-signer';
import { AttachmentBlobs } from './storage/attachment-blobs';
import { ATTACHMENT_STORAGE, AttachmentStorage } from './storage/attachment-storage';
import { LocalStorage } from './storage/local-storage';
import { S3Storage } from './storage/s3-storage';

const mediaFetchQueue = BullModule.registerQueue({ name: MEDIA_FETCH_QUEUE });

/** Files of messages both ways: storage, records, upload and download. */
@Module({
  imports: [TypeOrmModule.forFeature([Attachment]), QueueModule, mediaFetchQueue],
  controllers: [AttachmentController],
  providers: [
    AttachmentService,
    AttachmentBlobs,
    {
      provide: ATTACHMENT_STORAGE,
      inject: [APP_CONFIG],
      useFactory: ({ attachments }: AppConfig): AttachmentStorage =>
        attachments.driver === 's3'
          ? new S3Storage(attachments.s3!, attachments.storagePath)
          : new LocalStorage(attachments.storagePath),
    },
    {
      provide: MediaUrlSigner,
      inject: [APP_CONFIG],
      useFactory: ({ publicBaseUrl, attachments }: AppConfig) =>
        new MediaUrlSigner(publicBaseUrl, attachments.urlSecret, attachments.urlTtlSeconds),
    },
  ],
  exports: [AttachmentService, mediaFetchQueue],
})
export class AttachmentsModule {}
