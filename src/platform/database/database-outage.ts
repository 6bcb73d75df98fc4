import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Worker } from 'bullmq';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';

const PROBE_INTERVAL_MS = 1_000;

/**
 * The worker's side of a Postgres outage, one per kind of queue consumer (each module provides
 * its own). The first job that finds Postgres unavailable pauses every worker it names, so that
 * no further job is taken only to fail; one probe then runs SELECT 1 every second and resumes
 * them as soon as Postgres answers. No restart, and no job spends a try on it: the jobs that
 * were running give themselves back (see OutboundProcessor, MediaFetchProcessor).
 */
@Injectable()
export class DatabaseOutage implements OnApplicationShutdown {
  private readonly logger = new Logger(DatabaseOutage.name);
  private probing?: Promise<void>;
  private readonly shutdown = new AbortController();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The delay after which a job given back during an outage is due again. */
  readonly retryDelayMs = PROBE_INTERVAL_MS;

  /**
   * Pauses `workers` (`consumers` names them in the log) until Postgres answers again; one probe
   * per outage, whoever reports it.
   */
  report(consumers: string, workers: Worker[], error: Error): void {
    if (this.probing || this.shutdown.signal.aborted) return;
    const since = Date.now();
    this.logger.warn(
      { reason: error.message },
      `Postgres unavailable: ${consumers} workers paused until it answers`,
    );
    for (const worker of workers) void worker.pause(true);
    this.probing = this.probeUntilAvailable()
      .then((available) => {
        if (!available) return;
        for (const worker of workers) void worker.resume();
        this.logger.log(
          { downMs: Date.now() - since },
          `Postgres answers again: ${consumers} workers resumed`,
        );
      })
      .finally(() => (this.probing = undefined));
  }

  onApplicationShutdown(): void {
    this.shutdown.abort();
  }

  /** True once Postgres answers; false when the process shuts down first. */
  private async probeUntilAvailable(): Promise<boolean> {
    const { signal } = this.shutdown;
    while (!signal.aborted) {
      try {
        await sleep(PROBE_INTERVAL_MS, undefined, { signal });
        await this.dataSource.query('SELECT 1');
        return true;
      } catch {
        // Still down (or shutting down, which the loop condition sees).
      }
    }
    return false;
  }
}
