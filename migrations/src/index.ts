export * from './database.ts';
export { createDb, migrateToLatest } from './migrator.ts';
export { startEmbeddedPostgres, freePort, type EmbeddedCluster } from './embedded.ts';
