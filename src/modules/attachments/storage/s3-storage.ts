import type * as S3 from '@aws-sdk/client-s3';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import type { S3StorageConfig } from '../../../platform/config/app-config';
import { AttachmentStorage, SpooledFile, storageKey } from './attachment-storage';

/** An S3 bucket, or any server speaking the S3 protocol (MinIO, R2, …) through S3_ENDPOINT. */
export class S3Storage implements AttachmentStorage {
  readonly driver = 's3';
  readonly spoolDirectory: string;
  private readonly client: S3.S3Client;
  private readonly sdk: typeof S3;

  constructor(
    private readonly settings: S3StorageConfig,
    storagePath: string,
  ) {
    this.spoolDirectory = join(resolve(storagePath), 'spool');
    // Required here, not imported: the SDK is a noticeable part of start-up time, and
    // deployments on the local driver never need it.
    this.sdk = require('@aws-sdk/client-s3') as typeof S3;
    this.client = new this.sdk.S3Client({
      region: settings.region,
      endpoint: settings.endpoint,
      forcePathStyle: settings.forcePathStyle,
      // Checksums only where S3 requires them: by default the SDK streams uploads as
      // aws-chunked with a trailing CRC, which several S3-protocol servers store verbatim
      // (extra bytes in the object). Files are verified by their sha256 key anyway.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      credentials:
        settings.accessKeyId && settings.secretAccessKey
          ? { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey }
          : undefined,
    });
  }

  async keep(file: SpooledFile): Promise<void> {
    try {
      if (!(await this.has(file.sha256))) {
        // A known length lets the SDK stream the file in one PUT instead of buffering it.
        await this.client.send(
          new this.sdk.PutObjectCommand({
            Bucket: this.settings.bucket,
            Key: storageKey(file.sha256),
            Body: createReadStream(file.path),
            ContentLength: file.size,
          }),
        );
      }
    } finally {
      await rm(file.path, { force: true });
    }
  }

  async open(sha256: string): Promise<Readable> {
    const object = await this.client.send(
      new this.sdk.GetObjectCommand({ Bucket: this.settings.bucket, Key: storageKey(sha256) }),
    );
    return object.Body as Readable;
  }

  async remove(sha256: string): Promise<void> {
    // S3 answers a delete of a missing key with success too.
    await this.client.send(
      new this.sdk.DeleteObjectCommand({ Bucket: this.settings.bucket, Key: storageKey(sha256) }),
    );
  }

  async has(sha256: string): Promise<boolean> {
    try {
      await this.client.send(
        new this.sdk.HeadObjectCommand({ Bucket: this.settings.bucket, Key: storageKey(sha256) }),
      );
      return true;
    } catch (error) {
      if (error instanceof this.sdk.NotFound || (error as { name?: string }).name === 'NotFound') {
        return false;
      }
      throw error;
    }
  }
}
