import { Injectable, OnApplicationShutdown, OnModuleInit, Optional } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { ReadinessReports } from '../../platform/health/readiness-reports';
import { Sender } from './sender.entity';

/** How often one process writes one sender's health at most: a busy sender is not a write a message. */
export const HEALTH_WRITE_INTERVAL_MS = 1_000;

interface Observed {
  successAt?: Date;
  error?: string;
  errorAt?: Date;
}

/**
 * The latest outcome of each sender as this process saw it, folded in memory and written once a
 * second in one statement for all senders that changed. The write leaves updated_at alone: it is
 * the sender's version, and a health change must not rebuild its clients everywhere. GREATEST
 * keeps the newest of what several workers write.
 */
const WRITE_HEALTH = `
  UPDATE senders SET
    last_success_at = GREATEST(senders.last_success_at, observed.success_at),
    last_error = CASE WHEN observed.error_at > senders.last_error_at
                        OR senders.last_error_at IS NULL AND observed.error_at IS NOT NULL
                      THEN observed.error ELSE senders.last_error END,
    last_error_at = GREATEST(senders.last_error_at, observed.error_at)
  FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::timestamptz[])
    AS observed(id, success_at, error, error_at)
  WHERE senders.id = observed.id`;

const FAILING = `
  SELECT id, channel, name, last_error, last_error_at FROM senders
   WHERE last_error_at > COALESCE(last_success_at, '-infinity') ORDER BY last_error_at DESC LIMIT 100`;

@Injectable()
export class SenderHealth implements OnModuleInit, OnApplicationShutdown {
  private observed = new Map<string, Observed>();
  private timer?: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    @InjectRepository(Sender) private readonly rows: Repository<Sender>,
    @Optional() private readonly readiness?: ReadinessReports,
  ) {}

  /** The API lists senders whose last try failed in /health/ready (the worker has no HTTP). */
  onModuleInit(): void {
    this.readiness?.register('senders', async () => ({
      failing: (await this.rows.query(FAILING)).map((row: Record<string, unknown>) => ({
        ...row,
        last_error_at: (row.last_error_at as Date).toISOString(),
      })),
    }));
  }

  succeeded(senderId: string, at = new Date()): void {
    this.observe(senderId, { successAt: at });
  }

  failed(senderId: string, error: string, at = new Date()): void {
    this.observe(senderId, { error, errorAt: at });
  }

  async onApplicationShutdown(): Promise<void> {
    clearTimeout(this.timer);
    await this.write();
  }

  private observe(senderId: string, seen: Observed): void {
    this.observed.set(senderId, { ...this.observed.get(senderId), ...seen });
    this.timer ??= setTimeout(() => void this.write(), HEALTH_WRITE_INTERVAL_MS).unref();
  }

  private write(): Promise<void> {
    this.timer = undefined;
    const batch = [...this.observed];
    this.observed = new Map();
    if (batch.length === 0) return this.writing;
    this.writing = this.writing.then(() =>
      this.rows
        .query(WRITE_HEALTH, [
          batch.map(([id]) => id),
          batch.map(([, seen]) => seen.successAt ?? null),
          batch.map(([, seen]) => seen.error ?? null),
          batch.map(([, seen]) => seen.errorAt ?? null),
        ])
        // Health is a hint: a lost write is overwritten by the next outcome of the sender.
        .then(
          () => undefined,
          () => undefined,
        ),
    );
    return this.writing;
  }
}
