import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { registerQueueBoard } from '../platform/admin/queue-board';
import type { AppConfig } from '../platform/config/app-config';
import { setupOpenApi } from '../platform/docs/open-api';
import { registerBodyLimits } from '../platform/http/body-limit';
import { registerMultipart } from '../platform/http/multipart';
import { RequestValidationPipe } from '../platform/http/request-validation.pipe';
import { exposeRequestId, requestId } from '../platform/logging/request-id';
import { registerRequestLog } from '../platform/logging/request-log';
import { ApiModule } from './api.module';
import { registerInboxPage } from './inbox-page';

export const BODY_LIMIT_BYTES = 1024 * 1024;

export async function createApiApp(config: AppConfig): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    ApiModule.forConfig(config),
    new FastifyAdapter({
      bodyLimit: BODY_LIMIT_BYTES,
      trustProxy: true,
      requestIdHeader: false,
      genReqId: requestId,
    }),
    // Webhook signatures are computed over the exact bytes received.
    { rawBody: true, bufferLogs: true },
  );
  const logger = app.get(Logger);
  app.useLogger(logger);
  exposeRequestId(app);
  registerRequestLog(app);
  app.useGlobalPipes(new RequestValidationPipe());
  registerBodyLimits(app);
  await registerMultipart(app);
  setupOpenApi(app);
  await registerQueueBoard(app, config);
  await registerInboxPage(app);
  app.enableShutdownHooks();
  if (config.apiKeys.length === 0) {
    logger.warn(
      'API_KEYS is empty: the API accepts requests without credentials (signing in to the inbox protects nothing)',
    );
  }
  return app;
}
