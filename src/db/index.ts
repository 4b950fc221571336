/**
 * The data layer's public surface for routes, the CLI and jobs: the repositories, their types and
 * the unavailable-database check. It imports nothing runtime-specific, so a Worker build can use
 * it too. Opening a database is the entry's business (src/entry/database-client.ts on Node:
 * PGlite or the `postgres` pool), which is deliberately not reachable from here.
 */

export {
  createExportRepository,
  createImportRepository,
  type ExportOptions,
  type ExportRepository,
  type ImportConflict,
  type ImportRepository,
  type ImportResult,
  type ImportRow,
  type WrapScanOptions,
} from './bulk.ts';
export {
  type CredentialRepository,
  createCredentialRepository,
  type LoginTime,
  type SetCredentialInput,
  type SwapCredentialInput,
  type SwapManyInput,
  type SwapRow,
} from './credentials.ts';
export type { Database, DatabaseKind, HashdDb } from './database.ts';
export { createInventoryRepository, type Inventory, type InventoryRepository, type SchemeCount, type UpgradeDay } from './inventory.ts';
export { createJobRepository, type FinalJobState, type JobLease, type JobProgress, type JobRepository, type NewJob } from './jobs.ts';
export { createOtpRepository, type IssueCodeInput, type IssueResult, type OtpRepository, type SpentAttempt } from './otp.ts';
export { createRepositories, type Repositories } from './repositories.ts';
export { type OtpCodeRow, type SessionRow } from './schema-sessions.ts';
export { createSessionRepository, type NewSession, type SessionRepository } from './sessions.ts';
export {
  createFernetKeyRepository,
  createRingRowRepository,
  type FernetKeyRepository,
  RING_SLOTS,
  type RingKeyCount,
  type RingRow,
  type RingRowRepository,
  type RingSlot,
  type SealedValue,
  type StoredKeyVersion,
  type StoredNamedKey,
} from './keys.ts';
export { createTotpRepository, type PendingTotp, type TotpRepository } from './totp.ts';
export type { FernetKeyRow, TotpCredentialRow } from './schema-keys.ts';
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
export { isStorableText, UNSTORABLE_TEXT } from './text.ts';
