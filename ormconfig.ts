// The TypeORM CLI's data source (npm run typeorm -- migration:generate ...). The app and
// `npm run migrate` build the same options from the validated config.
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { ENTITIES } from './src/app/entities';
import { loadConfig } from './src/platform/config/app-config';
import { dataSourceOptions } from './src/platform/database/data-source-options';

export default new DataSource({ ...dataSourceOptions(loadConfig()), entities: ENTITIES });
