import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApiApp } from './app/create-api-app';
import { loadConfigOrExit } from './platform/config/load-config-or-exit';
import { DOCS_PATH } from './platform/docs/open-api';

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit();
  const app = await createApiApp(config);
  await app.listen(config.port, '0.0.0.0');
  // Every interface, so "localhost" always reaches it from this machine.
  const url = `http://localhost:${config.port}`;
  const logger = new Logger('Api');
  logger.log(
    { port: config.port },
    `API listening on ${url} (docs ${url}/${DOCS_PATH}, health ${url}/health/ready)`,
  );
  // Nest's shutdown hooks close the app on these signals; this only says so.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => logger.log(`${signal} received: shutting down`));
  }
}

void bootstrap();
