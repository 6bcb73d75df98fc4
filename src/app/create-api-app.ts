import fastifyMultipart from '@fastify/multipart';
import { ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { registerQueueBoard } from '../platform/admin/queue-board';
import type { AppConfig } from '../platform/config/app-config';
import { setupOpenApi } from '../platform/docs/open-api';
import { collectMultipartForm } from '../platform/http/multipart-form';
import { exposeRequestId, requestId } from '../platform/logging/request-id';
import { ApiModule } from './api.module';

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
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      stopAtFirstError: false,
    }),
  );
  // SendGrid Inbound Parse posts multipart forms: text fields become the body and files are
  // read whole (SendGrid caps a message at 30 MB). POST /api/attachments streams its file instead.
  await app.register(fastifyMultipart, {
    limits: {
      fieldSize: BODY_LIMIT_BYTES,
      fields: 100,
      files: 50,
      fileSize: 30 * BODY_LIMIT_BYTES,
    },
  });
  app.getHttpAdapter().getInstance().addHook('preValidation', collectMultipartForm);
  setupOpenApi(app);
  await registerQueueBoard(app, config);
  app.enableShutdownHooks();
  if (config.apiKeys.length === 0) {
    logger.warn('API_KEYS is empty: the API accepts requests without authentication');
  }
  return app;
}
