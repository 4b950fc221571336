/**
 * The database for the Node entry: PGlite under HASHD_DATA_DIR by default, PostgreSQL when
 * DATABASE_URL is set. Migrations run at start; when PostgreSQL is unreachable at start the
 * service still starts, answers 503 (database_unavailable, /readyz not ready) and keeps retrying
 * the migration in the background until the database answers.
 */
import { systemClock, type Clock } from '../clock';
import type { ServiceConfig } from '../config';
import { createRepositories, isDatabaseUnavailable, type Database, type Repositories } from '../db/index';
import { HashdError } from '../errors';
import type { Logger } from '../logger';
import { guardRepositories } from '../store/guard';
import { openDatabase } from './database-client';

export interface NodeDatabase {
  database: Database;
  /**
   * The repositories over this process's database, failures translated. Until the migrations
   * are in, it throws 503 `database_unavailable` instead, so a request fails before it reads its
   * body rather than at a missing table.
   */
  repositories(): Repositories;
  /** null when ready, else why not. */
  readiness(): Promise<string | null>;
  close(): Promise<void>;
}

const PING_TIMEOUT_MS = 1000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout')), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

export async function openNodeDatabase(config: ServiceConfig, logger: Logger, clock: Clock = systemClock): Promise<NodeDatabase> {
  const database = await openDatabase({ ...(config.databaseUrl && { url: config.databaseUrl }), dataDir: config.dataDir, poolMax: config.databasePoolMax, pgliteSharedBuffersMb: config.pgliteSharedBuffersMb, pgliteInitdbInChild: true });
  let migrated = false;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  const migrate = async (): Promise<void> => {
    try {
      await database.migrate();
      migrated = true;
      logger.info({ database: database.kind }, 'migrations applied');
    } catch (err) {
      if (!isDatabaseUnavailable(err)) throw err;
      logger.warn({ database: database.kind, code: (err as { code?: string }).code }, 'database unavailable at start; retrying');
      if (!stopped) retry = setTimeout(() => void migrate().catch(() => undefined), 2000);
    }
  };
  await migrate();
  const repositories = guardRepositories(createRepositories(database, clock));
  return {
    database,
    repositories() {
      if (!migrated) throw new HashdError('database_unavailable', 'the database is not ready yet', { retryAfter: 1 });
      return repositories;
    },
    async readiness() {
      if (!migrated) return 'migrations not applied (database unreachable)';
      try {
        await withTimeout(database.ping(), PING_TIMEOUT_MS);
        return null;
      } catch {
        return 'database unreachable';
      }
    },
    async close() {
      stopped = true;
      if (retry) clearTimeout(retry);
      await database.close();
    },
  };
}
