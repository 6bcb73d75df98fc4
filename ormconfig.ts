// The TypeORM CLI's data source (npm run typeorm -- migration:generate ...). `npm run migrate`
// builds the same options from the validated config, on the same (direct) connection.
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { ENTITIES } from './src/app/entities';
import { loadConfig } from './src/platform/config/app-config';
import { dataSourceOptions } from './src/platform/database/data-source-options';

export default new DataSource({
  ...dataSourceOptions({ databaseUrl: loadConfig().migrationDatabaseUrl }),
  entities: ENTITIES,
});
