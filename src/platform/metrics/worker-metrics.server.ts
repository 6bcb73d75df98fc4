import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { createServer, Server } from 'node:http';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { AppMetrics } from './app-metrics';

/**
 * The worker has no Nest HTTP app; this bare server answers Prometheus on WORKER_METRICS_PORT
 * (0 = off). A port already taken is logged, not fatal: sending matters more than a scrape.
 */
@Injectable()
export class WorkerMetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerMetricsServer.name);
  private server?: Server;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: AppMetrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const port = this.config.workerMetricsPort;
    if (port === 0) return;
    const server = createServer((request, response) => {
      if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('not found; try /metrics');
        return;
      }
      this.metrics.registry.metrics().then(
        (text) =>
          response.writeHead(200, { 'content-type': this.metrics.registry.contentType }).end(text),
        (error: Error) => {
          this.logger.error({ reason: error.message }, 'metrics collection failed');
          response
            .writeHead(500, { 'content-type': 'text/plain' })
            .end('metrics collection failed');
        },
      );
    });
    await new Promise<void>((resolve) => {
      server.once('error', (error: NodeJS.ErrnoException) => {
        this.logger.warn(
          { port, reason: error.code ?? error.message },
          'worker metrics not served',
        );
        resolve();
      });
      server.listen(port, '0.0.0.0', () => {
        this.server = server;
        this.logger.log({ port }, `worker metrics on :${port}/metrics`);
        resolve();
      });
    });
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}
