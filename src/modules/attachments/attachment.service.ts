import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import { InjectRepository } from '@nestjs/typeorm';
import type { Queue } from 'bullmq';
import { Readable } from 'node:stream';
import { EntityManager, In, Repository } from 'typeorm';
import type { AppConfig } from '../../platform/config/app-config';
import { APP_CONFIG } from '../../platform/config/config.module';
import { newId } from '../../platform/database/new-id';
import { DomainError } from '../../platform/errors/domain-error';
import type { FormRequest } from '../../platform/http/multipart';
import {
  FETCH_MEDIA_JOB,
  FetchMediaJob,
  MEDIA_FETCH_QUEUE,
} from '../../platform/queue/queue-names';
import type { Channel } from '../../shared/channel';
import type { LinkedDataStore, Removal } from '../../shared/linked-data-store';
import { Attachment } from './attachment.entity';
import { checkChannelLimits } from './channel-limits';
import { AttachmentResponse, mapAttachment } from './dto/attachment.dto';
import type { InboundAttachmentSource } from '../../providers/inbound-attachment';
import { MediaUrlSigner } from './media-url-signer';
import { AttachmentBlobs, UNNAMED_BYTES_GRACE_MS } from './storage/attachment-blobs';
import {
  ATTACHMENT_STORAGE,
  type AttachmentStorage,
  type SpooledFile,
} from './storage/attachment-storage';
import { spoolToFile } from './storage/file-spool';
import { OutboundAttachment } from '../../providers/outbound-client';

/** An inbound message's files, by the id its row was stored under. */
export interface InboundAttachmentLinks {
  messageId: string;
  sources: InboundAttachmentSource[];
}

type AttachmentRow = AttachmentResponse & { message_id: string };

export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

@Injectable()
export class AttachmentService implements LinkedDataStore {
  private readonly logger = new Logger(AttachmentService.name);

  constructor(
    @InjectRepository(Attachment) private readonly attachments: Repository<Attachment>,
    @Inject(ATTACHMENT_STORAGE) private readonly storage: AttachmentStorage,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectQueue(MEDIA_FETCH_QUEUE) private readonly fetchQueue: Queue<FetchMediaJob>,
    private readonly signer: MediaUrlSigner,
    private readonly blobs: AttachmentBlobs,
  ) {}

  /**
   * Erasure and retention (a LinkedDataStore): the files of messages about to be removed go with
   * them, unless another message still carries the same upload. The records go in the removing
   * transaction; the bytes only once it has committed and no record names them any more, so a
   * failed removal leaves every file in place.
   */
  async removeForMessages(manager: EntityManager, messageIds: string[]): Promise<Removal> {
    // A DELETE … RETURNING answers [rows, affected count] through TypeORM's pg driver.
    const [gone] = (await manager.query(
      `WITH links AS (
         DELETE FROM message_attachments WHERE message_id = ANY($1::uuid[])
         RETURNING attachment_id)
       DELETE FROM attachments file
        WHERE file.id IN (SELECT attachment_id FROM links)
          AND NOT EXISTS (SELECT 1 FROM message_attachments other
                           WHERE other.attachment_id = file.id
                             AND other.message_id <> ALL($1::uuid[]))
       RETURNING file.sha256`,
      [messageIds],
    )) as [{ sha256: string | null }[], number];
    const hashes = gone.flatMap(({ sha256 }) => (sha256 ? [sha256] : []));
    return { removed: gone.length, afterCommit: () => this.blobs.removeUnnamed(hashes) };
  }

  /** The retention pass's collection of bytes no record names (a LinkedDataStore). */
  collectUnnamed(limit: number): Promise<number> {
    return this.blobs.collectStale(new Date(Date.now() - UNNAMED_BYTES_GRACE_MS), limit);
  }

  get maxBytes(): number {
    return this.config.attachments.maxBytes;
  }

  /** Streams a file into storage and records it `stored`. */
  async storeFile(
    input: Readable,
    contentType: string | undefined,
    filename: string | null,
  ): Promise<Attachment> {
    const spooled = await this.spool(input);
    const now = new Date();
    return this.blobs.keepAndRecord(spooled, (manager) =>
      manager.getRepository(Attachment).save({
        id: newId(),
        status: 'stored',
        contentType: contentType || DEFAULT_CONTENT_TYPE,
        filename,
        size: spooled.size,
        sha256: spooled.sha256,
        error: null,
        source: null,
        fetchAttempts: 0,
        createdAt: now,
        storedAt: now,
      }),
    );
  }

  /** Bytes into storage, content-addressed, for a record that names them later. */
  private async keepBytes(input: Readable): Promise<{ sha256: string; size: number }> {
    const spooled = await this.spool(input);
    await this.blobs.keepUnnamed(spooled);
    return { sha256: spooled.sha256, size: spooled.size };
  }

  private spool(input: Readable): Promise<SpooledFile> {
    return spoolToFile(input, this.storage.spoolDirectory, this.config.attachments.maxBytes);
  }

  async getAttachment(id: string): Promise<Attachment> {
    const attachment = await this.attachments.findOneBy({ id });
    if (!attachment) throw DomainError.notFound('attachment', id);
    return attachment;
  }

  /** The sender of the message an attachment belongs to; null for a message stored without one. */
  async senderOf(attachmentId: string): Promise<string | null> {
    const [row] = (await this.attachments.query(
      `SELECT message.sender_id FROM message_attachments link
         JOIN messages message ON message.id = link.message_id
        WHERE link.attachment_id = $1 LIMIT 1`,
      [attachmentId],
    )) as { sender_id: string | null }[];
    return row?.sender_id ?? null;
  }

  async openContent(id: string): Promise<{ attachment: Attachment; content: Readable }> {
    const attachment = await this.getAttachment(id);
    if (attachment.status !== 'stored') {
      throw new DomainError(
        'invalid_state',
        `attachment ${id} is ${attachment.status}${attachment.error ? ` (${attachment.error})` : ''}; only stored files can be downloaded`,
      );
    }
    return { attachment, content: await this.storage.open(attachment.sha256!) };
  }

  verifySignedUrl(id: string, expires: string, signature: string): void {
    if (!this.signer.verify(id, expires, signature)) {
      throw new DomainError('forbidden', 'this media link is invalid or has expired');
    }
  }

  /** Each message's files in order, for API responses. */
  async listForMessages(messageIds: string[]): Promise<Map<string, AttachmentResponse[]>> {
    const byMessage = new Map<string, AttachmentResponse[]>();
    if (messageIds.length === 0) return byMessage;
    // Raw rows: one upload may be linked to several messages of the page, which an entity
    // query would merge into one.
    const rows: AttachmentRow[] = await this.attachments.query(
      `SELECT link.message_id, file.id, file.status, file.content_type, file.filename,
              file.size::float8 AS size, file.sha256, file.error
         FROM message_attachments link JOIN attachments file ON file.id = link.attachment_id
        WHERE link.message_id = ANY($1::uuid[])
        ORDER BY link.message_id, link.position`,
      [messageIds],
    );
    for (const { message_id: messageId, ...file } of rows) {
      const list = byMessage.get(messageId) ?? [];
      list.push(file);
      byMessage.set(messageId, list);
    }
    return byMessage;
  }

  /**
   * The files an outbound message will carry: each must exist and be stored, and together
   * they must fit the channel's limits. Checked before the message is accepted.
   */
  async checkForMessage(ids: string[], channel: Channel): Promise<AttachmentResponse[]> {
    const found = await this.attachments.findBy({ id: In(ids) });
    const byId = new Map(found.map((attachment) => [attachment.id, attachment]));
    const files = ids.map((id) => {
      const attachment = byId.get(id);
      if (!attachment) throw DomainError.notFound('attachment', id);
      if (attachment.status !== 'stored') {
        throw new DomainError(
          'invalid_state',
          `attachment ${id} is ${attachment.status}, not stored`,
        );
      }
      return attachment;
    });
    checkChannelLimits(
      channel,
      files.map((file) => ({ contentType: file.contentType, size: file.size! })),
    );
    return files.map(mapAttachment);
  }

  /**
   * A multipart webhook's files into storage, each form field replaced by a reference
   * `{"sha256","size","content_type"}` to its bytes: the event keeps the references (the same
   * files sent again make the same event) and a replay finds the files.
   */
  async keepFormFiles(request: FormRequest): Promise<void> {
    const files = request.formFiles ?? [];
    if (files.length === 0) return;
    const body = (request.body ?? {}) as Record<string, unknown>;
    for (const file of files) {
      const kept = await this.keepBytes(Readable.from(file.data));
      body[file.field] = JSON.stringify({ ...kept, content_type: file.contentType });
    }
    request.body = body;
  }

  /**
   * Email attachments travel in the webhook itself: their bytes are kept before the message is
   * stored, so the transaction that stores it only writes rows. Returns sources with inline
   * content replaced by what was kept.
   */
  async keepInlineSources(sources: InboundAttachmentSource[]): Promise<InboundAttachmentSource[]> {
    return Promise.all(
      sources.map(async (source) => {
        if (source.kind !== 'inline') return source;
        const kept = await this.keepBytes(Readable.from(Buffer.from(source.content, 'base64')));
        return {
          kind: 'stored' as const,
          ...kept,
          contentType: source.contentType,
          filename: source.filename,
        };
      }),
    );
  }

  /**
   * Records inbound messages' files in the transaction that stores the messages; remote media
   * start pending. Returns the ids of those to fetch (enqueue them after the commit).
   */
  async recordInbound(manager: EntityManager, links: InboundAttachmentLinks[]): Promise<string[]> {
    const now = new Date();
    const pending: string[] = [];
    const gone = await this.blobs.lockKept(
      manager,
      links.flatMap(({ sources }) =>
        sources.flatMap((source) => (source.kind === 'stored' ? [source.sha256] : [])),
      ),
    );
    for (const { messageId, sources } of links) {
      for (const [index, source] of sources.entries()) {
        const id = newId();
        const row: Attachment = {
          id,
          status: 'pending',
          contentType: source.contentType || DEFAULT_CONTENT_TYPE,
          filename: null,
          size: null,
          sha256: null,
          error: null,
          source: null,
          fetchAttempts: 0,
          createdAt: now,
          storedAt: null,
        };
        if (source.kind === 'whatsapp') {
          Object.assign(row, {
            filename: source.filename,
            source: { provider: 'whatsapp', media_id: source.mediaId },
          });
          pending.push(id);
        } else if (source.kind === 'twilio') {
          Object.assign(row, { source: { provider: 'twilio', url: source.url } });
          pending.push(id);
        } else if (source.kind === 'stored' && gone.has(source.sha256)) {
          // A replay long after the webhook: its files were collected as named by no record.
          Object.assign(row, {
            status: 'failed',
            filename: source.filename,
            error: 'the file was no longer kept when this event was processed',
          });
        } else if (source.kind === 'stored') {
          Object.assign(row, {
            status: 'stored',
            filename: source.filename,
            size: source.size,
            sha256: source.sha256,
            storedAt: now,
          });
        } else {
          throw new Error('inline attachments must be kept before they are recorded');
        }
        await manager.getRepository(Attachment).insert(row);
        await manager.query(
          `INSERT INTO message_attachments (message_id, position, attachment_id) VALUES ($1, $2, $3)`,
          [messageId, index + 1, id],
        );
      }
    }
    return pending;
  }

  /**
   * Queues media fetches. A failure (Redis down) loses nothing: the worker's sweep queues
   * every pending file it finds.
   */
  async enqueueFetches(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    try {
      await this.fetchQueue.addBulk(ids.map((id) => fetchJob(id, this.config)));
    } catch (error) {
      this.logger.warn(
        { attachments: ids.length, error: (error as Error).message },
        'media fetch not queued; the worker sweep will queue it',
      );
    }
  }

  /** The pending files older than `graceMs`, oldest first, for the worker's sweep. */
  async findPendingIds(graceMs: number, limit: number): Promise<string[]> {
    const rows = await this.attachments
      .createQueryBuilder('file')
      .select('file.id', 'id')
      .where("file.status = 'pending'")
      .andWhere('file.created_at < :before', { before: new Date(Date.now() - graceMs) })
      .orderBy('file.created_at', 'ASC')
      .limit(limit)
      .getRawMany<{ id: string }>();
    return rows.map((row) => row.id);
  }

  /** A fetched file: kept, then recorded `stored` (only while still pending). */
  async recordFetched(
    attachment: Attachment,
    content: Readable,
    contentType: string | undefined,
  ): Promise<void> {
    const kept = await this.spool(content);
    await this.blobs.keepAndRecord(kept, (manager) =>
      manager
        .createQueryBuilder()
        .update(Attachment)
        .set({
          status: 'stored',
          sha256: kept.sha256,
          size: kept.size,
          // The provider's header is more precise than "application/octet-stream".
          contentType:
            attachment.contentType === DEFAULT_CONTENT_TYPE && contentType
              ? contentType.split(';')[0].trim()
              : attachment.contentType,
          error: null,
          storedAt: new Date(),
          fetchAttempts: () => 'fetch_attempts + 1',
        })
        .where("id = :id AND status = 'pending'", { id: attachment.id })
        .execute(),
    );
  }

  /** A failed try: the file stays pending for another, or fails for good when `final`. */
  async recordFetchFailure(id: string, error: string, final: boolean): Promise<void> {
    await this.attachments
      .createQueryBuilder()
      .update()
      .set({
        status: final ? 'failed' : 'pending',
        error,
        fetchAttempts: () => 'fetch_attempts + 1',
      })
      .where("id = :id AND status = 'pending'", { id })
      .execute();
  }

  /** The files of an outbound message, in order, for its sender. */
  async listForSending(messageId: string): Promise<OutboundAttachment[]> {
    const files = await this.attachments
      .createQueryBuilder('file')
      .innerJoin('message_attachments', 'link', 'link.attachment_id = file.id')
      .where('link.message_id = :messageId', { messageId })
      .orderBy('link.position', 'ASC')
      .getMany();
    return files.map((file) => ({
      id: file.id,
      contentType: file.contentType,
      filename: file.filename,
      size: file.size!,
      sha256: file.sha256!,
      open: () => this.storage.open(file.sha256!),
      signedUrl: () => this.signer.sign(file.id),
    }));
  }
}

/** One job per file (job id = attachment id); retries wait OUTBOUND_RETRY_DELAYS_MS. */
export function fetchJob(attachmentId: string, config: AppConfig) {
  return {
    name: FETCH_MEDIA_JOB,
    data: { attachmentId },
    opts: {
      jobId: attachmentId,
      attempts: config.outbound.retryDelaysMs.length + 1,
      backoff: { type: MEDIA_FETCH_BACKOFF },
      removeOnComplete: true,
      removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
    },
  };
}

export const MEDIA_FETCH_BACKOFF = 'media-fetch-delays';
