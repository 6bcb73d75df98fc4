import 'reflect-metadata';
import { createApiApp } from './app/create-api-app';
import { loadConfigOrExit } from './platform/config/load-config-or-exit';

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit();
  const app = await createApiApp(config);
  await app.listen(config.port, '0.0.0.0');
}

void bootstrap();
