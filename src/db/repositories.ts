/**
 * The repositories, one per kind of record, grouped in one record so that routes, jobs and the
 * CLI receive them together. A feature with its own tables (sessions, one-time codes, TOTP,
 * keys) adds its repository here: one field in `Repositories` and one line in
 * `createRepositories`, with the repository itself in its own `src/db/<feature>.ts` as
 * `create<Thing>Repository(database, clock)`.
 *
 * Nothing here opens a database: the entry does (PGlite or a pool on Node, the request's
 * binding on a Worker) and hands the `Database` in, once per process or once per request.
 */

import type { Clock } from '../clock.ts';
import { createExportRepository, createImportRepository, type ExportRepository, type ImportRepository } from './bulk.ts';
import { createCredentialRepository, type CredentialRepository } from './credentials.ts';
import type { Database } from './database.ts';
import { createInventoryRepository, type InventoryRepository } from './inventory.ts';
import { createJobRepository, type JobRepository } from './jobs.ts';
import { createFernetKeyRepository, createRingRowRepository, type FernetKeyRepository, type RingRowRepository } from './keys.ts';
import { createTotpRepository, type TotpRepository } from './totp.ts';
import { createOtpRepository, type OtpRepository } from './otp.ts';
import { createSessionRepository, type SessionRepository } from './sessions.ts';

export interface Repositories {
  credentials: CredentialRepository;
  imports: ImportRepository;
  exports: ExportRepository;
  jobs: JobRepository;
  inventory: InventoryRepository;
  fernetKeys: FernetKeyRepository;
  ringRows: RingRowRepository;
  totp: TotpRepository;
  sessions: SessionRepository;
  otp: OtpRepository;
}

export function createRepositories(database: Database, clock: Clock): Repositories {
  return {
    credentials: createCredentialRepository(database, clock),
    imports: createImportRepository(database, clock),
    exports: createExportRepository(database, clock),
    jobs: createJobRepository(database, clock),
    inventory: createInventoryRepository(database, clock),
    fernetKeys: createFernetKeyRepository(database, clock),
    ringRows: createRingRowRepository(database),
    totp: createTotpRepository(database, clock),
    sessions: createSessionRepository(database, clock),
    otp: createOtpRepository(database, clock),
  };
}
