import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DomainError } from '../../../platform/errors/domain-error';
import type { SpooledFile } from './attachment-storage';

export function fileTooLarge(maxBytes: number): DomainError {
  return new DomainError(
    'attachment_too_large',
    `the file is larger than ATTACHMENT_MAX_BYTES (${maxBytes} bytes)`,
  );
}

/**
 * Streams `input` into a temporary file in `directory`, hashing and counting on the way, so a
 * 100 MiB file costs a few chunks of memory. More than `maxBytes` aborts with
 * attachment_too_large and leaves nothing behind.
 */
export async function spoolToFile(
  input: Readable,
  directory: string,
  maxBytes: number,
): Promise<SpooledFile> {
  await mkdir(directory, { recursive: true });
  const path = join(directory, `spool-${randomBytes(12).toString('hex')}`);
  const hash = createHash('sha256');
  let size = 0;
  const measure = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      if (size > maxBytes) return callback(fileTooLarge(maxBytes));
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  try {
    await pipeline(input, measure, createWriteStream(path));
  } catch (error) {
    await rm(path, { force: true });
    throw error;
  }
  return { path, sha256: hash.digest('hex'), size };
}
