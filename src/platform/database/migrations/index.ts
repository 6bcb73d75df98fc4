import { InitialSchema1764115200000 } from './1764115200000-initial-schema';

/** Every migration, oldest first; listed explicitly so that ts and compiled js load the same set. */
export const MIGRATIONS = [InitialSchema1764115200000];
