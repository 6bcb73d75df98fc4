import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { AppMetrics } from '../../platform/metrics/app-metrics';
import { InboundMessageEvents } from '../inbound/inbound-message.events';

/** Counts stored inbound messages from the inbound module's notices, after their commit. */
@Injectable()
export class InboundReceivedListener implements OnModuleInit, OnModuleDestroy {
  private unsubscribe?: () => void;

  constructor(
    private readonly events: InboundMessageEvents,
    private readonly metrics: AppMetrics,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.events.subscribe(({ channel }) =>
      this.metrics.messages.inc({ channel, direction: 'inbound', status: 'received' }),
    );
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }
}
