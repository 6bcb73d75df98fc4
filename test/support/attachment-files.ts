import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

export const ATTACHMENT_URL_SECRET = 'test-attachment-url-secret';
const BUCKET = 'attachments';

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A small but real-looking PDF: header, random body, trailer. */
export function pdfBytes(size = 48_213): Buffer {
  const head = Buffer.from('%PDF-1.4\n');
  const tail = Buffer.from('\n%%EOF\n');
  return Buffer.concat([head, randomBytes(size - head.length - tail.length), tail]);
}

/** PNG signature and random bytes: what the API sees is only bytes and a content type. */
export function pngBytes(size = 20_000): Buffer {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, randomBytes(size - signature.length)]);
}

/** A multipart/form-data body with one file in `field` and optional text fields. */
export function multipartForm(
  files: { field: string; filename: string; contentType: string; bytes: Buffer }[],
  fields: Record<string, string> = {},
): { body: Buffer; contentType: string } {
  const boundary = `----test${randomBytes(8).toString('hex')}`;
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
      ),
    );
  }
  for (const file of files) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${file.field}"; filename="${file.filename}"\r\n` +
          `Content-Type: ${file.contentType}\r\n\r\n`,
      ),
      file.bytes,
      Buffer.from('\r\n'),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** What a signed media link would be with this expiry, to forge expired or tampered links. */
export function mediaSignature(attachmentId: string, expires: number): string {
  return createHmac('sha256', ATTACHMENT_URL_SECRET)
    .update(`${attachmentId}.${expires}`)
    .digest('hex');
}

export interface StorageUnderTest {
  env: Record<string, string>;
  /** How many files the storage holds. */
  countFiles(): Promise<number>;
  close(): Promise<void>;
}

/** The local driver on a fresh directory. */
export async function localStorageUnderTest(): Promise<StorageUnderTest> {
  const root = mkdtempSync(join(tmpdir(), 'attachments-local-'));
  return {
    env: { STORAGE_DRIVER: 'local', STORAGE_PATH: root },
    countFiles: async () => countFilesUnder(join(root, 'files')),
    close: async () => rmSync(root, { recursive: true, force: true }),
  };
}

/** The s3 driver against a real S3-protocol server (s3rver) on loopback, owned by the test. */
export async function s3StorageUnderTest(): Promise<StorageUnderTest> {
  const root = mkdtempSync(join(tmpdir(), 'attachments-s3-'));
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory: join(root, 'bucket-data'),
    configureBuckets: [{ name: BUCKET, configs: [] }],
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  return {
    env: {
      STORAGE_DRIVER: 's3',
      STORAGE_PATH: join(root, 'spool'),
      S3_BUCKET: BUCKET,
      S3_REGION: 'us-east-1',
      S3_ENDPOINT: endpoint,
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
      S3_FORCE_PATH_STYLE: 'true',
    },
    countFiles: async () =>
      (await client.send(new ListObjectsV2Command({ Bucket: BUCKET }))).KeyCount ?? 0,
    close: async () => {
      client.destroy();
      await server.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Every test of attachments runs against both drivers. */
export const STORAGE_DRIVERS: [string, () => Promise<StorageUnderTest>][] = [
  ['local', localStorageUnderTest],
  ['s3 (s3rver on loopback)', s3StorageUnderTest],
];

function countFilesUnder(directory: string): number {
  let count = 0;
  let entries: string[];
  try {
    entries = readdirSync(directory);
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const path = join(directory, entry);
    count += statSync(path).isDirectory() ? countFilesUnder(path) : 1;
  }
  return count;
}
