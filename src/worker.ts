import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { WorkerModule } from './app/worker.module';
import { loadConfigOrExit } from './platform/config/load-config-or-exit';
import { Logger } from 'nestjs-pino';

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit();
  const app = await NestFactory.createApplicationContext(WorkerModule.forConfig(config), {
    bufferLogs: true,
  });
  const logger = app.get(Logger);
  app.useLogger(logger);
  await app.init();
  // Closing the app stops taking jobs and waits for in-flight sends; then exit 0, so that a
  // supervisor sees a clean stop rather than a death by signal.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.log(`${signal} received: shutting down`);
      app.close().then(
        () => process.exit(0),
        (error: Error) => {
          logger.error(`shutdown failed: ${error.message}`);
          process.exit(1);
        },
      );
    });
  }
  logger.log('worker started');
}

void bootstrap();
