/**
 * The data layer's public surface for routes, the CLI and jobs: the repository, its types and
 * the unavailable-database check. It imports nothing runtime-specific, so a Worker build can use
 * it too. Opening a database is the entry's business and lives in `./client.ts` (Node: PGlite or
 * the `postgres` pool), which is deliberately not re-exported here.
 */

export type { ExportOptions, ImportConflict, ImportResult, ImportRow, WrapScanOptions } from './bulk.ts';
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
