import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { QueueModule } from '../../platform/queue/queue.module';
import { InboundModule } from '../inbound/inbound.module';
import { InboundReceivedListener } from './inbound-received.listener';
import { MetricsController } from './metrics.controller';
import { QueueDepthCollector } from './queue-depth.collector';
import { WebhookRejectionsMiddleware } from './webhook-rejections.middleware';

/** API side of the metrics: /metrics, queue depth, webhook rejections, inbound counts. */
@Module({
  imports: [QueueModule, InboundModule],
  controllers: [MetricsController],
  providers: [QueueDepthCollector, InboundReceivedListener],
})
export class ObservabilityModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(WebhookRejectionsMiddleware)
      .forRoutes({ path: 'api/webhooks/*path', method: RequestMethod.ALL });
  }
}
