import type { Readable } from 'node:stream';

/** A file spooled to local disk while its sha256 and size were computed. */
export interface SpooledFile {
  path: string;
  sha256: string;
  size: number;
}

/**
 * Where attachment bytes live, addressed by their sha256: the same bytes sent twice are kept
 * once. Files arrive spooled (hashed on the way in), so a driver never holds one in memory.
 * Drivers do not coordinate keeping and removing the same bytes: AttachmentBlobs does.
 */
export interface AttachmentStorage {
  readonly driver: 'local' | 's3';
  /** Keeps the spooled file under its sha256 (a no-op when those bytes are already kept) and removes the spool. */
  keep(file: SpooledFile): Promise<void>;
  /** The bytes kept under sha256, as a stream. */
  open(sha256: string): Promise<Readable>;
  /** Whether bytes are kept under sha256. */
  has(sha256: string): Promise<boolean>;
  /** Forgets the bytes kept under sha256 (erasure, retention); a no-op when there are none. */
  remove(sha256: string): Promise<void>;
  /** The directory uploads are spooled to before keep(). */
  readonly spoolDirectory: string;
}

export const ATTACHMENT_STORAGE = Symbol('ATTACHMENT_STORAGE');

/** Two levels of fan-out keep directories (and S3 listings) small: ab/cd/abcd…. */
export function storageKey(sha256: string): string {
  return `${sha256.slice(0, 2)}/${sha256.slice(2, 4)}/${sha256}`;
}
