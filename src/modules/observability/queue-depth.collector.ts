import { getQueueToken } from '@nestjs/bullmq';
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Queue } from 'bullmq';
import { Gauge } from 'prom-client';
import { AppMetrics } from '../../platform/metrics/app-metrics';
import { OUTBOUND_QUEUE } from '../../platform/queue/queue-names';
import { CHANNELS, Channel } from '../../shared/channel';

/** A scrape must answer even when Redis does not. */
const COLLECT_TIMEOUT_MS = 1_000;

const REPORTED_STATES = ['waiting', 'delayed', 'active', 'failed'] as const;
type Depth = Record<(typeof REPORTED_STATES)[number], number>;

/**
 * `outbound_queue_jobs{channel,state}` read from BullMQ at scrape time (a few O(1) Redis calls
 * per queue), and `outbound_queue_up`. `waiting` includes BullMQ's `prioritized` list, where every
 * one of our jobs waits. Only the API exports them: the figures are global, so every API process
 * reports the same values.
 */
@Injectable()
export class QueueDepthCollector implements OnModuleInit {
  private readonly logger = new Logger(QueueDepthCollector.name);
  private queues: { channel: Channel; queue: Queue }[] = [];
  /** One Redis read per scrape, shared by both gauges whose collect() runs concurrently. */
  private reading?: Promise<Map<Channel, Depth> | null>;

  constructor(
    private readonly metrics: AppMetrics,
    private readonly moduleRef: ModuleRef,
  ) {}

  onModuleInit(): void {
    this.queues = CHANNELS.map((channel) => ({
      channel,
      queue: this.moduleRef.get<Queue>(getQueueToken(OUTBOUND_QUEUE[channel]), { strict: false }),
    }));
    const read = () => (this.reading ??= this.read().finally(() => (this.reading = undefined)));
    new Gauge({
      name: 'outbound_queue_up',
      help: '1 when this scrape could read the outbound queues from Redis, else 0',
      registers: [this.metrics.registry],
      async collect() {
        this.set((await read()) ? 1 : 0);
      },
    });
    new Gauge({
      name: 'outbound_queue_jobs',
      help: 'Jobs in each outbound queue by state (waiting, delayed, active, failed)',
      labelNames: ['channel', 'state'] as const,
      registers: [this.metrics.registry],
      async collect() {
        this.reset();
        const depths = await read();
        for (const [channel, depth] of depths ?? []) {
          for (const state of REPORTED_STATES) this.set({ channel, state }, depth[state]);
        }
      },
    });
  }

  private async read(): Promise<Map<Channel, Depth> | null> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const counts = await Promise.race([
        Promise.all(
          this.queues.map(({ queue }) =>
            queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'failed'),
          ),
        ),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('Redis did not answer')), COLLECT_TIMEOUT_MS);
        }),
      ]);
      return new Map(
        this.queues.map(({ channel }, index) => {
          const count = counts[index];
          const depth: Depth = {
            waiting: (count.waiting ?? 0) + (count.prioritized ?? 0),
            delayed: count.delayed ?? 0,
            active: count.active ?? 0,
            failed: count.failed ?? 0,
          };
          return [channel, depth];
        }),
      );
    } catch (error) {
      this.logger.warn({ reason: (error as Error).message }, 'could not read outbound queue depth');
      return null;
    } finally {
      clearTimeout(timer);
    }
  }
}
