import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { ATTACHMENT_STORAGE, type AttachmentStorage, type SpooledFile } from './attachment-storage';
import {
  BLOB_NAMED,
  DELETE_BLOB,
  LOCK_BLOB,
  MARK_BLOB_NAMED,
  REMOVE_UNSENT_UPLOADS,
  SELECT_STALE_BLOBS,
  TOUCH_BLOBS,
} from './attachment-blobs.sql';

/**
 * Bytes kept but not named by any record yet (a webhook's files before its event is stored, a
 * failed event's files awaiting replay) survive this long after they were last kept.
 */
export const UNNAMED_BYTES_GRACE_MS = 24 * 3_600_000;
/** An upload (POST /api/attachments) never attached to a message is removed after this. */
export const UNSENT_UPLOAD_MS = 24 * 3_600_000;

/**
 * Content-addressed bytes that are never lost under a record and never kept unnamed for long.
 * Every path that makes a record name a sha256 holds that sha256's attachment_blobs row lock
 * while it makes sure the bytes exist and writes the record; removal holds the same lock while
 * it checks that no record names the bytes and deletes them. So a removal either finishes
 * before a save (which then finds the bytes gone and writes them again) or sees its record.
 */
@Injectable()
export class AttachmentBlobs {
  private readonly logger = new Logger(AttachmentBlobs.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(ATTACHMENT_STORAGE) private readonly storage: AttachmentStorage,
  ) {}

  /** Keeps the bytes and writes the record naming them in one transaction, under the lock. */
  keepAndRecord<T>(file: SpooledFile, record: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(TOUCH_BLOBS, [[file.sha256]]);
      await this.storage.keep(file);
      return record(manager);
    });
  }

  /** Keeps bytes that a record will name later (within UNNAMED_BYTES_GRACE_MS). */
  async keepUnnamed(file: SpooledFile): Promise<void> {
    await this.dataSource.query(TOUCH_BLOBS, [[file.sha256]]);
    await this.storage.keep(file);
  }

  /**
   * Locks bytes kept earlier that records in `manager`'s transaction are about to name; returns
   * those no longer kept (collected meanwhile), which must not be recorded as stored.
   */
  async lockKept(manager: EntityManager, hashes: string[]): Promise<Set<string>> {
    const unique = [...new Set(hashes)].sort();
    if (unique.length === 0) return new Set();
    await manager.query(TOUCH_BLOBS, [unique]);
    const missing = new Set<string>();
    for (const sha256 of unique) if (!(await this.storage.has(sha256))) missing.add(sha256);
    return missing;
  }

  /**
   * Removes the bytes of each sha256 that no record names any more (erasure and retention call it
   * after their removal has committed). Failures are logged: the periodic collection retries.
   */
  async removeUnnamed(hashes: string[]): Promise<void> {
    for (const sha256 of new Set(hashes)) {
      try {
        await this.collect(sha256, null);
      } catch (error) {
        this.logger.warn(
          { sha256, reason: (error as Error).message },
          'attachment bytes not removed yet; the periodic collection will retry',
        );
      }
    }
  }

  /**
   * One batch of the periodic collection: of the bytes untouched since `before` (at most
   * `limit`), those no record names are removed, with the uploads of them never sent. Returns
   * how many were dealt with: each leaves the stale set, removed or touched as still named.
   */
  async collectStale(before: Date, limit: number): Promise<number> {
    const stale: { sha256: string }[] = await this.dataSource.query(SELECT_STALE_BLOBS, [
      before,
      limit,
    ]);
    let removed = 0;
    for (const { sha256 } of stale) if (await this.collect(sha256, before)) removed++;
    if (removed > 0) this.logger.log({ removed }, 'unnamed attachment bytes removed');
    return stale.length;
  }

  /**
   * Under the sha256's lock: removes the never-sent uploads of it, then, when no record names
   * it, its row and its bytes. With `before`, bytes touched since then are left alone (a save
   * may be on its way to its record). Returns whether the bytes were removed.
   */
  private collect(sha256: string, before: Date | null): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const [{ touched_at: touchedAt }] = (await manager.query(LOCK_BLOB, [sha256])) as {
        touched_at: Date;
      }[];
      if (before && touchedAt >= before) return false;
      await manager.query(REMOVE_UNSENT_UPLOADS, [sha256, new Date(Date.now() - UNSENT_UPLOAD_MS)]);
      const [{ named }] = (await manager.query(BLOB_NAMED, [sha256])) as { named: boolean }[];
      if (named) {
        await manager.query(MARK_BLOB_NAMED, [sha256]);
        return false;
      }
      await manager.query(DELETE_BLOB, [sha256]);
      // Before the commit, still under the lock: a save waiting for it then writes the bytes anew.
      await this.storage.remove(sha256);
      return true;
    });
  }
}
