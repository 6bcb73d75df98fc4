import { stopSharedPgbouncer } from './support/shared-pgbouncer';

export default async function globalTeardown(): Promise<void> {
  await stopSharedPgbouncer();
}
