/**
 * The data layer's public surface. Routes, the CLI and the entry files import from here only,
 * never from the modules behind it.
 */

export type { ExportOptions, ImportConflict, ImportResult, ImportRow, WrapScanOptions } from './bulk.ts';
export { type OpenDatabaseOptions, openDatabase } from './client.ts';
export {
  type CredentialStore,
  createCredentialStore,
  type SetCredentialInput,
  type SwapCredentialInput,
} from './credentials.ts';
export type { Database, DatabaseKind, HashdDb } from './database.ts';
export type { Inventory, SchemeCount, UpgradeDay } from './inventory.ts';
export type { FinalJobState, JobProgress, NewJob } from './jobs.ts';
export {
  CREDENTIAL_SOURCES,
  type CredentialRow,
  type CredentialSource,
  JOB_STATES,
  type JobRow,
  type JobState,
  UPGRADE_KINDS,
  type UpgradeKind,
} from './schema.ts';
export { isDatabaseUnavailable } from './unavailable.ts';
