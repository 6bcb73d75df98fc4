import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { WorkerModule } from './app/worker.module';
import { loadConfigOrExit } from './platform/config/load-config-or-exit';
import { createLogger } from './platform/logging/app-logger';

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config, 'worker');
  const app = await NestFactory.createApplicationContext(WorkerModule.forConfig(config), {
    logger,
  });
  // SIGTERM/SIGINT close the app: workers stop taking jobs and finish in-flight sends first.
  app.enableShutdownHooks();
  await app.init();
  logger.log('worker started');
}

void bootstrap();
